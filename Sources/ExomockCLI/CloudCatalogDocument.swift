import MicrosoftClouds

/// Renders the cloud catalog as `docs/clouds.md`, so the doc is the code's table (a test checks the
/// committed file equals this output).
public enum CloudCatalogDocument {
    public static func markdown() -> String {
        var out = """
            # Cloud catalog

            Rendered from `Sources/MicrosoftClouds/Cloud.swift` by `exomock clouds --markdown`; a test keeps
            this file and the code identical. Sources: `shared/reference/microsoft.md` §1.

            | cloud | authority (login) host | aliases | IMAP/POP host(s) | SMTP host | scope resource | app `.default` resource | delegated `aud` | app `aud` | accepted mail audiences | Graph host | v1 issuer | v2 issuer | device login | `--hosts` address | `tenant_region_scope` (sub-scope) |
            |---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|

            """
        for c in Cloud.all {
            let cells = [
                "`\(c.name.rawValue)`", c.authorityHost, c.authorityAliases.joined(separator: ", "),
                c.outlookHosts.joined(separator: ", "), c.smtpHost, c.scopeResource, c.appResource + "/.default",
                c.delegatedAudience, c.appAudience, c.acceptedMailAudiences.joined(separator: ", "), c.graphHost,
                c.v1IssuerTemplate, c.v2Issuer(tenant: "{tenant}"), c.deviceLoginURL, c.hostsModeAddress,
                c.tenantRegionScope + (c.tenantRegionSubScope.map { " (\($0))" } ?? ""),
            ]
            out += "| " + cells.joined(separator: " | ") + " |\n"
        }
        out += """

            Ports (every cloud): HTTPS 443; IMAP 993 (implicit TLS) and 143 (STARTTLS); POP3 995 (implicit TLS) and 110 (STLS).

            ## Where sources disagree or are silent (UNCONFIRMED)

            GCC (Moderate) uses the worldwide endpoints; exomock keeps it as its own cloud (own keys, own certificate,
            own listeners) so a scenario can tell the two apart, but every host and resource is the worldwide one.
            GCC High and DoD share the authority `login.microsoftonline.us` and, as the Atlassian DoD/GCC High KB
            configures it, the mail host `outlook.office365.us`. In `--hosts` mode a shared name is served at the
            address of the first cloud of the scenario that has it, and that address serves every cloud sharing it:
            the token service picks the cloud by the tenant in the path, IMAP and POP3 by the token's signing key
            (docs/fidelity.md, `--hosts`).


            """
        for c in Cloud.all where !c.unconfirmed.isEmpty {
            out += "- **\(c.name.rawValue)**: " + c.unconfirmed.joined(separator: "; ") + ".\n"
        }
        return out
    }
}
