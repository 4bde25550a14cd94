#!/usr/bin/env python3
"""Drive Microsoft's msal through a running `exomock serve` for the token-service policies of issue 12:
password change and reset (which refresh tokens die, AADSTS50173), a single-page app's fixed 24-hour
refresh tokens (AADSTS700084), Conditional Access sign-in frequency on one user and on one app
(AADSTS70043), and certificate credentials (msal's client_credential={"private_key", "thumbprint"} and
{"private_key", "public_certificate"}; another key gets AADSTS700027, an expired assertion AADSTS700024).

Usage (Tests/TokenServiceTests/MsalPolicyTests.swift passes the scenario's ids):
  msal_policies.py --ready-file ready.json --cloud gcc-high --tenant TENANT --client-id APP --client-secret S
      --public-client-id APP2 --spa-client-id APP3 --frequency-client-id APP4 --cert-client-id APP5
      --key-file key.pem --cert-file cert.pem --other-key-file other.pem
      --user U --frequency-user U2 --password PW --scope https://outlook.office365.us/IMAP.AccessAsUser.All
      --app-scope https://outlook.office365.us/.default

Prints one JSON object per case and a summary; exits 0 only when every case passed. Needs: pip install msal requests.
"""
import argparse
import faulthandler
import json
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from msal_flows import HTTP_TIMEOUT, RESULTS, Run, expect_code, msal, record, requests  # noqa: E402


class Policies(Run):
    def change(self, body):
        return self.admin("POST", f"{self.admin_url}/changes", json=body)

    def public(self, client_id):
        return msal.PublicClientApplication(client_id, authority=self.authority, instance_discovery=self.instance_discovery,
                                            verify=self.verify, timeout=HTTP_TIMEOUT)

    def ropc(self, case, app, user, password):
        result = app.acquire_token_by_username_password(user, password, [self.args.scope])
        ok = "refresh_token" in result
        record(case, ok, json.dumps({k: result.get(k) for k in ("error", "error_codes") if k in result}))
        return result.get("refresh_token")

    def refreshed(self, case, app, token):
        """A refresh that must work; returns the new refresh token."""
        if not token:
            record(case, False, "no refresh token to use (an earlier case failed)")
            return None
        result = app.acquire_token_by_refresh_token(token, [self.args.scope])
        record(case, "access_token" in result, str(result.get("error_description"))[:160])
        return result.get("refresh_token")

    def password_changes(self):
        a = self.args
        public, confidential = self.public(a.public_client_id), self.app()
        public_rt = self.ropc("password.public_sign_in", public, a.user, a.password)
        confidential_rt = self.ropc("password.confidential_sign_in", confidential, a.user, a.password)
        self.change({"kind": "change_password", "user": a.user, "password": a.password + "-2"})
        expect_code("password.change.public_revoked", public.acquire_token_by_refresh_token(public_rt, [a.scope]),
                    50173, "invalid_grant")
        confidential_rt = self.refreshed("password.change.confidential_kept", confidential, confidential_rt)
        self.change({"kind": "reset_password", "user": a.user, "password": a.password + "-3", "by": "azure_portal"})
        confidential_rt = self.refreshed("password.reset_azure_portal.confidential_kept", confidential, confidential_rt)
        self.change({"kind": "reset_password", "user": a.user, "password": a.password + "-4"})
        expect_code("password.reset_entra_admin_center.confidential_revoked",
                    confidential.acquire_token_by_refresh_token(confidential_rt, [a.scope]), 50173, "invalid_grant")
        self.ropc("password.new_password_signs_in", confidential, a.user, a.password + "-4")

    def spa(self):
        a = self.args
        app = self.public(a.spa_client_id)
        token = self.ropc("spa.sign_in", app, a.user, a.password + "-4")
        self.advance("23h")
        token = self.refreshed("spa.refresh_at_23h", app, token)
        self.advance("2h")
        expect_code("spa.refresh_at_25h", app.acquire_token_by_refresh_token(token, [a.scope]), 700084, "invalid_grant")

    def sign_in_frequency(self):
        a = self.args
        # The user's policy (1 h) with an app that has none.
        app = self.app()
        token = self.ropc("frequency.user.sign_in", app, a.frequency_user, a.password)
        self.advance("30m")
        token = self.refreshed("frequency.user.refresh_at_30m", app, token)
        self.advance("31m")
        expect_code("frequency.user.refresh_at_61m", app.acquire_token_by_refresh_token(token, [a.scope]), 70043,
                    "invalid_grant")
        # The app's policy (2 h) with a user who has none.
        app = self.app(client_id=a.frequency_client_id)
        token = self.ropc("frequency.app.sign_in", app, a.user, a.password + "-4")
        self.advance("90m")
        token = self.refreshed("frequency.app.refresh_at_90m", app, token)
        self.advance("31m")
        expect_code("frequency.app.refresh_at_121m", app.acquire_token_by_refresh_token(token, [a.scope]), 70043,
                    "invalid_grant")

    def certificate_app(self, credential):
        return msal.ConfidentialClientApplication(self.args.cert_client_id, client_credential=credential,
                                                  authority=self.authority, instance_discovery=self.instance_discovery,
                                                  verify=self.verify, timeout=HTTP_TIMEOUT)

    def certificates(self):
        a = self.args
        key, certificate, other = (open(path).read() for path in (a.key_file, a.cert_file, a.other_key_file))
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        thumbprint = x509.load_pem_x509_certificate(certificate.encode()).fingerprint(hashes.SHA1()).hex().upper()
        result = self.certificate_app({"private_key": key, "thumbprint": thumbprint}).acquire_token_for_client([a.app_scope])
        record("certificate.rs256_x5t", "access_token" in result, str(result.get("error_description"))[:160])
        result = self.certificate_app({"private_key": key, "public_certificate": certificate}).acquire_token_for_client(
            [a.app_scope])
        record("certificate.ps256_x5t_s256", "access_token" in result, str(result.get("error_description"))[:160])
        expect_code("certificate.other_key",
                    self.certificate_app({"private_key": other, "thumbprint": thumbprint}).acquire_token_for_client(
                        [a.app_scope]), 700027, "invalid_client")
        # msal dates its assertion by the real clock (exp = now + 10 min); ten virtual years later it has expired.
        self.advance("3650d")
        expect_code("certificate.expired_assertion",
                    self.certificate_app({"private_key": key, "thumbprint": thumbprint}).acquire_token_for_client(
                        [a.app_scope]), 700024, "invalid_client")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in ("ready-file", "cloud", "tenant", "client-id", "client-secret", "public-client-id", "spa-client-id",
                 "frequency-client-id", "cert-client-id", "key-file", "cert-file", "other-key-file", "user",
                 "frequency-user", "password", "scope", "app-scope"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--deadline", type=float, default=60)
    args = parser.parse_args()
    args.real_host = False
    faulthandler.dump_traceback_later(args.deadline, exit=True)
    warnings.simplefilter("ignore")
    run = Policies(args)
    run.skip_user_realm_on_other_port()
    run.password_changes()
    run.spa()
    run.sign_in_frequency()
    run.certificates()
    failed = [r["case"] for r in RESULTS if not r["ok"]]
    print(json.dumps({"summary": True, "cases": len(RESULTS), "failed": failed}), flush=True)
    sys.exit(0 if not failed and requests else 1)


if __name__ == "__main__":
    main()
