#!/usr/bin/env python3
"""Drive Microsoft's msal library through a running `exomock serve`, non-interactively.

Flows: confidential authorization code (PKCE, through the browser session set with the admin API and
prompt=none; the authorize URL fetched with requests and the code taken from the redirect), refresh,
client credentials, device code (approved or declined through the admin API, never polled in msal's
sleeping loop), the password grant, and error cases where msal must hand back the AADSTS code in
`error_codes`. The last case moves the virtual clock 91 days and expects AADSTS700082.

Usage (Tests/TokenServiceTests/MsalTests.swift passes the scenario's ids):
  msal_flows.py --ready-file ready.json --cloud gcc-high --tenant TENANT_ID \
      --client-id APP --client-secret SECRET --redirect-uri http://localhost:8400/callback \
      --expired-client-id APP2 --unconsented-client-id APP3 --public-client-id APP4 \
      --user agent@x --password PW --mfa-user mfa@x --foreign-client-id OTHER_CLOUD_APP \
      --scope https://outlook.office365.us/IMAP.AccessAsUser.All \
      --other-cloud-scope https://outlook.office.com/IMAP.AccessAsUser.All \
      [--real-host] [--deadline 60]

--real-host: the authority is the ready file's real one (https://login.microsoftonline.us, serve --hosts),
instance discovery stays on (msal's default), the CA comes from REQUESTS_CA_BUNDLE only, and the real
host names are resolved to the cloud's loopback address inside this process (like curl --resolve), so
/etc/hosts is left alone. Without it: the ready file's https://127.0.0.1:PORT authority,
instance_discovery=False and verify=<the exomock CA>.

Prints one JSON object per case and a summary; exits 0 only when every case passed. The whole run is
bounded by --deadline seconds: past it, faulthandler prints every thread's stack and exits (status 1),
so a hang shows where it is instead of blocking the test.
Needs: pip install msal requests.
"""
import argparse
import base64
import faulthandler
import json
import os
import socket
import sys
import urllib.parse
import warnings

try:
    import msal
    import requests
except ImportError as error:  # the test reports this text; test.sh installs the packages
    print(json.dumps({"case": "import", "ok": False, "detail": f"{error}: run `pip install msal requests`"}), flush=True)
    sys.exit(3)

RESULTS = []
HTTP_TIMEOUT = 10


def record(case, ok, detail=""):
    RESULTS.append({"case": case, "ok": bool(ok), "detail": detail})
    print(json.dumps(RESULTS[-1]), flush=True)


def expect_code(case, result, code, error=None):
    """msal must hand back Microsoft's error with `code` in `error_codes` (and `error`, if given)."""
    codes = result.get("error_codes") or []
    ok = code in codes and (error is None or result.get("error") == error) and "access_token" not in result
    description = str(result.get("error_description"))
    ok = ok and description.startswith(f"AADSTS{code}:")
    record(case, ok, f"error={result.get('error')} error_codes={codes} want {code}" + (f"/{error}" if error else "")
           + f" description={description[:100]!r}")


def summary(result):
    return json.dumps({k: result.get(k) for k in ("error", "error_codes", "scope", "token_type") if k in result})


def claims(jwt):
    """The payload of a JWT, unverified (the driver checks who the token is for, not its signature)."""
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


class Run:
    def __init__(self, args):
        self.args = args
        with open(args.ready_file) as f:
            ready = json.load(f)
        cloud = next((c for c in ready["clouds"] if c["name"] == args.cloud), None)
        if cloud is None:
            raise SystemExit(f"cloud {args.cloud} is not in the ready file {args.ready_file}")
        self.admin_url = ready["admin_url"].rstrip("/")
        # Every admin API request carries this run's token (docs/ready-file.md).
        self.admin_headers = {"Authorization": f"Bearer {ready['admin_token']}"}
        self.token_admin = f"{self.admin_url}/{args.cloud}"
        self.authority_base = cloud["authority_url"].rstrip("/")
        self.ca_file = ready["ca_file"]
        if args.real_host:
            # The CA reaches msal (and requests) through REQUESTS_CA_BUNDLE only, as a user would set it.
            if os.environ.get("REQUESTS_CA_BUNDLE") != self.ca_file:
                raise SystemExit(f"--real-host needs REQUESTS_CA_BUNDLE={self.ca_file}")
            self.verify = True
            self.instance_discovery = None  # msal's default
            address = cloud["hosts_lines"][0].split()[0]
            names = set(cloud["hosts_lines"][0].split()[1:])
            real_getaddrinfo = socket.getaddrinfo

            def getaddrinfo(host, *rest, **kwargs):
                return real_getaddrinfo(address if host in names else host, *rest, **kwargs)

            socket.getaddrinfo = getaddrinfo
        else:
            # requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE beat a session's `verify` (psf/requests#3829),
            # and msal passes `verify=` as the session's: drop them so verify= is what decides.
            os.environ.pop("REQUESTS_CA_BUNDLE", None)
            os.environ.pop("CURL_CA_BUNDLE", None)
            self.verify = self.ca_file
            self.instance_discovery = False
        self.authority = f"{self.authority_base}/{args.tenant}"

    # Admin API (plain HTTP on 127.0.0.1).
    def admin(self, method, url, **kwargs):
        response = requests.request(method, url, timeout=HTTP_TIMEOUT, headers=self.admin_headers, **kwargs)
        if response.status_code != 200:
            raise RuntimeError(f"admin {method} {url}: HTTP {response.status_code} {response.text}")
        return response.json()

    def advance(self, by):
        return self.admin("POST", f"{self.admin_url}/clock/advance", json={"by": by})

    def app(self, client_id=None, secret=None, authority=None):
        return msal.ConfidentialClientApplication(
            client_id or self.args.client_id,
            client_credential=secret or self.args.client_secret,
            authority=authority or self.authority,
            instance_discovery=self.instance_discovery,
            verify=self.verify,
            timeout=HTTP_TIMEOUT,
        )

    def public_app(self):
        return msal.PublicClientApplication(self.args.public_client_id, authority=self.authority,
                                            instance_discovery=self.instance_discovery, verify=self.verify, timeout=HTTP_TIMEOUT)

    def skip_user_realm_on_other_port(self):
        # msal asks https://<host>/common/userrealm/<user> on port 443 whatever the authority's port. With
        # the mock on an ephemeral port nothing answers on 443; recording the host as having no realm
        # discovery is what msal itself does after a 404 there. With --real-host the mock answers on 443.
        netloc = urllib.parse.urlsplit(self.authority_base).netloc
        if ":" in netloc and not netloc.endswith(":443"):
            msal.authority.Authority._domains_without_user_realm_discovery.add(netloc.split(":")[0])

    # Flows.
    def auth_code(self):
        """The browser session (admin API) has the user signed in; prompt=none signs in silently."""
        a = self.args
        self.admin("PUT", f"{self.token_admin}/sso", data={"users": a.user})
        app = self.app()
        flow = app.initiate_auth_code_flow([a.scope], redirect_uri=a.redirect_uri, login_hint=a.user, prompt="none")
        response = requests.get(flow["auth_uri"], allow_redirects=False, verify=self.verify, timeout=HTTP_TIMEOUT)
        location = response.headers.get("Location", "")
        if response.status_code != 302 or not location.startswith(a.redirect_uri + "?"):
            record("auth_code.authorize", False, f"HTTP {response.status_code} Location={location!r} body={response.text[:200]!r}")
            return app, None
        auth_response = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
        record("auth_code.authorize", "code" in auth_response and auth_response.get("state") == flow["state"], location[:120])
        result = app.acquire_token_by_auth_code_flow(flow, auth_response)
        ok = "access_token" in result and "refresh_token" in result
        if ok:
            at = claims(result["access_token"])
            idt = result.get("id_token_claims") or {}
            ok = (at.get("upn", "").lower() == a.user.lower() and idt.get("preferred_username", "").lower() == a.user.lower()
                  and "IMAP.AccessAsUser.All" in at.get("scp", "").split() and at.get("aud") == a.scope.rsplit("/", 1)[0])
        record("auth_code.token", ok, summary(result))
        again = app.acquire_token_by_auth_code_flow(flow, auth_response)
        expect_code("auth_code.reused", again, 54005, "invalid_grant")
        return app, result

    def refresh(self, app, result):
        a = self.args
        if not result or "refresh_token" not in result:
            record("refresh", False, "no refresh token from the auth-code flow")
            return None
        refreshed = app.acquire_token_by_refresh_token(result["refresh_token"], [a.scope])
        ok = "access_token" in refreshed and refreshed.get("refresh_token") not in (None, result["refresh_token"])
        record("refresh", ok and claims(refreshed["access_token"]).get("upn", "").lower() == a.user.lower(), summary(refreshed))
        expect_code("refresh.garbled", app.acquire_token_by_refresh_token("1.Agarbled-refresh-token", [a.scope]), 9002313, "invalid_grant")
        return refreshed.get("refresh_token")

    def client_credentials(self):
        a = self.args
        app_scope = a.scope.rsplit("/", 1)[0] + "/.default"
        result = self.app().acquire_token_for_client([app_scope])
        ok = "access_token" in result and "refresh_token" not in result and "IMAP.AccessAsApp" in claims(result["access_token"]).get("roles", []) \
            if "access_token" in result else False
        record("client_credentials", ok, summary(result))
        expect_code("client_credentials.invalid_secret", self.app(secret="wrong-secret").acquire_token_for_client([app_scope]),
                    7000215, "invalid_client")
        expect_code("client_credentials.expired_secret",
                    self.app(client_id=a.expired_client_id).acquire_token_for_client([app_scope]), 7000222, "invalid_client")
        other = a.other_cloud_scope.rsplit("/", 1)[0] + "/.default"
        expect_code("client_credentials.other_cloud_resource", self.app().acquire_token_for_client([other]), 500011, "invalid_resource")
        not_default = a.scope.rsplit("/", 1)[0] + "/IMAP.AccessAsApp"
        expect_code("client_credentials.not_default", self.app().acquire_token_for_client([not_default]), 1002012, "invalid_scope")
        expect_code("client_credentials.app_not_found",
                    self.app(client_id=a.foreign_client_id).acquire_token_for_client([app_scope]), 700016, "unauthorized_client")

    def device_code(self):
        """Approve before msal polls, so its loop ends at the first poll. msal's loop sleeps `interval`
        real seconds between polls, and exomock answers slow_down to polls closer than `interval` seconds
        of *virtual* time, which does not move by itself: a loop that starts polling before the approval
        only ends when the approval comes. The driver polls once at a time (exit_condition) otherwise."""
        a = self.args
        app = self.public_app()
        flow = app.initiate_device_flow(scopes=[a.scope])
        if "user_code" not in flow:
            record("device_code.start", False, json.dumps(flow)[:200])
            return
        record("device_code.start", flow.get("interval") == 5 and flow.get("message", "").startswith("To sign in, use a web browser"),
               flow.get("message", ""))
        self.admin("POST", f"{self.token_admin}/device/approve", data={"user_code": flow["user_code"], "user": a.user})
        result = app.acquire_token_by_device_flow(flow, exit_condition=lambda f: True)
        record("device_code.token", "access_token" in result and claims(result["access_token"]).get("upn", "").lower() == a.user.lower(),
               summary(result))

        once = lambda f: True  # noqa: E731 - one poll, no sleeping
        pending = app.initiate_device_flow(scopes=[a.scope])
        expect_code("device_code.pending", app.acquire_token_by_device_flow(pending, exit_condition=once), 70016, "authorization_pending")
        expect_code("device_code.slow_down", app.acquire_token_by_device_flow(pending, exit_condition=once), 70016, "slow_down")
        self.admin("POST", f"{self.token_admin}/device/decline", data={"user_code": pending["user_code"]})
        expect_code("device_code.declined", app.acquire_token_by_device_flow(pending, exit_condition=once), 70000, "authorization_declined")

        expiring = app.initiate_device_flow(scopes=[a.scope])
        self.advance("16m")
        expect_code("device_code.expired", app.acquire_token_by_device_flow(expiring, exit_condition=once), 70019, "expired_token")

    def password_grant(self):
        a = self.args
        self.skip_user_realm_on_other_port()
        result = self.app().acquire_token_by_username_password(a.user, a.password, [a.scope])
        record("ropc", "access_token" in result, summary(result))
        expect_code("ropc.bad_password", self.app().acquire_token_by_username_password(a.user, "not-the-password", [a.scope]),
                    50126, "invalid_grant")
        expect_code("ropc.mfa_required", self.app().acquire_token_by_username_password(a.mfa_user, a.password, [a.scope]),
                    50076, "interaction_required")
        bogus = a.scope.rsplit("/", 1)[0] + "/IMAP.NoSuchPermission"
        expect_code("ropc.invalid_scope", self.app().acquire_token_by_username_password(a.user, a.password, [bogus]), 70011, "invalid_scope")
        expect_code("ropc.consent_missing",
                    self.app(client_id=a.unconsented_client_id).acquire_token_by_username_password(a.user, a.password, [a.scope]),
                    65001, "invalid_grant")
        expect_code("ropc.other_cloud_scope", self.app().acquire_token_by_username_password(a.user, a.password, [a.other_cloud_scope]),
                    500011, "invalid_resource")

    def unknown_tenant(self):
        authority = f"{self.authority_base}/00000000-0000-4000-8000-000000000000"
        try:
            self.app(authority=authority)
            record("unknown_tenant", False, "msal accepted an unknown tenant")
        except ValueError as error:
            # msal turns the discovery error into a ValueError; the body it read is Microsoft's 90002.
            body = requests.get(f"{authority}/v2.0/.well-known/openid-configuration", verify=self.verify, timeout=HTTP_TIMEOUT).json()
            record("unknown_tenant", "Unable to get authority configuration" in str(error) and 90002 in body.get("error_codes", []),
                   f"{str(error)[:100]} / {body.get('error_codes')}")

    def refresh_after_inactivity(self, refresh_token):
        if not refresh_token:
            record("refresh.inactive_91_days", False, "no refresh token to age")
            return
        moved = self.advance("91d")
        expect_code("refresh.inactive_91_days", self.app().acquire_token_by_refresh_token(refresh_token, [self.args.scope]),
                    700082, "invalid_grant")
        print(json.dumps({"clock": moved}), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in ("ready-file", "cloud", "tenant", "client-id", "client-secret", "redirect-uri", "expired-client-id",
                 "unconsented-client-id", "public-client-id", "user", "password", "mfa-user", "foreign-client-id",
                 "scope", "other-cloud-scope"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--real-host", action="store_true")
    parser.add_argument("--deadline", type=float, default=60)
    args = parser.parse_args()
    faulthandler.dump_traceback_later(args.deadline, exit=True)
    warnings.simplefilter("ignore")  # msal warns about polling sooner than `interval`; that is deliberate here

    run = Run(args)
    app, result = run.auth_code()
    refresh_token = run.refresh(app, result)
    run.client_credentials()
    run.password_grant()
    run.unknown_tenant()
    run.device_code()
    run.refresh_after_inactivity(refresh_token)

    failed = [r["case"] for r in RESULTS if not r["ok"]]
    error_cases = sum(1 for r in RESULTS if " want " in r["detail"])
    print(json.dumps({"summary": True, "cases": len(RESULTS), "failed": failed, "error_cases": error_cases}), flush=True)
    sys.exit(0 if not failed and error_cases >= 5 else 1)


if __name__ == "__main__":
    main()
