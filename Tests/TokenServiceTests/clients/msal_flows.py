#!/usr/bin/env python3
"""Drive Microsoft's msal library through exomock's token service, non-interactively.

Flows: confidential authorization code (with PKCE, through the browser session set by the admin API and
prompt=none), refresh, client credentials, device code approved through the admin API, and error cases
where msal must hand back the AADSTS code in `error_codes`.

Usage (the lead's end-to-end test passes the scenario's ids):
  msal_flows.py --authority https://127.0.0.1:PORT --tenant TENANT_ID --ca-file ca.pem \
      --admin-url http://127.0.0.1:ADMIN/admin/clouds/gcc-high/token \
      --client-id APP --client-secret SECRET --redirect-uri http://localhost:8400/callback \
      --public-client-id PUBLIC_APP --user agent@contoso.onmicrosoft.us --password PW \
      --scope https://outlook.office365.us/IMAP.AccessAsUser.All \
      --app-scope https://outlook.office365.us/.default \
      --other-cloud-scope https://outlook.office.com/IMAP.AccessAsUser.All \
      [--mfa-user mfa@contoso.onmicrosoft.us] [--foreign-client-id WORLDWIDE_APP]

Prints one JSON object per case and a summary; exits 0 only when every case passed.
Needs: pip install msal requests.
"""
import argparse
import json
import os
import sys
import urllib.parse

try:
    import msal
    import requests
except ImportError as error:  # the test reports this text; CI installs the packages
    print(json.dumps({"case": "import", "ok": False, "detail": f"{error}: pip install msal requests"}))
    sys.exit(2)

RESULTS = []


def record(case, ok, detail=""):
    RESULTS.append({"case": case, "ok": bool(ok), "detail": detail})
    print(json.dumps(RESULTS[-1]), flush=True)


def expect_code(case, result, code, error=None):
    codes = result.get("error_codes") or []
    ok = code in codes and (error is None or result.get("error") == error)
    record(case, ok, f"error={result.get('error')} error_codes={codes} want {code}"
           + (f"/{error}" if error else "") + f" description={str(result.get('error_description'))[:120]!r}")


def admin(args, method, path, data):
    response = requests.request(method, f"{args.admin_url}/{path}", data=data, timeout=10)
    if response.status_code != 200:
        raise RuntimeError(f"admin {method} {path}: HTTP {response.status_code} {response.text}")
    return response


def confidential(args, secret=None, client_id=None):
    return msal.ConfidentialClientApplication(
        client_id or args.client_id,
        client_credential=secret or args.client_secret,
        authority=f"{args.authority}/{args.tenant}",
        instance_discovery=False,
        verify=args.ca_file,
        timeout=10,
    )


def auth_code_flow(args):
    """Authorize silently through the SSO session (prompt=none, login_hint), then redeem the code."""
    admin(args, "PUT", "sso", {"users": args.user})
    app = confidential(args)
    flow = app.initiate_auth_code_flow([args.scope], redirect_uri=args.redirect_uri, login_hint=args.user, prompt="none")
    response = requests.get(flow["auth_uri"], allow_redirects=False, verify=args.ca_file, timeout=10)
    location = response.headers.get("Location", "")
    if response.status_code != 302 or not location.startswith(args.redirect_uri):
        record("auth_code.authorize", False, f"HTTP {response.status_code} Location={location!r}")
        return app, None, None
    auth_response = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    record("auth_code.authorize", "code" in auth_response and auth_response.get("state") == flow["state"], location[:160])
    result = app.acquire_token_by_auth_code_flow(flow, auth_response)
    claims = result.get("id_token_claims") or {}
    record("auth_code.token", "access_token" in result and claims.get("preferred_username", "").lower() == args.user.lower()
           and "refresh_token" in result, json.dumps({k: result.get(k) for k in ("error", "error_codes", "scope")}))
    # Redeeming the same code again: AADSTS54005.
    again = app.acquire_token_by_auth_code_flow(flow, auth_response)
    expect_code("auth_code.reused", again, 54005, "invalid_grant")
    return app, result, flow


def refresh(args, app, result):
    if not result or "refresh_token" not in result:
        record("refresh", False, "no refresh token from the auth-code flow")
        return
    refreshed = app.acquire_token_by_refresh_token(result["refresh_token"], [args.scope])
    record("refresh", "access_token" in refreshed and refreshed.get("refresh_token") not in (None, result["refresh_token"]),
           json.dumps({k: refreshed.get(k) for k in ("error", "error_codes", "scope")}))
    garbled = app.acquire_token_by_refresh_token("1.Agarbled-refresh-token", [args.scope])
    expect_code("refresh.garbled", garbled, 9002313, "invalid_grant")


def client_credentials(args):
    result = confidential(args).acquire_token_for_client([args.app_scope])
    record("client_credentials", "access_token" in result and "refresh_token" not in result,
           json.dumps({k: result.get(k) for k in ("error", "error_codes", "token_type")}))
    expect_code("client_credentials.bad_secret", confidential(args, secret="wrong-secret").acquire_token_for_client([args.app_scope]),
                7000215, "invalid_client")
    if args.other_cloud_scope:
        other = args.other_cloud_scope.rsplit("/", 1)[0] + "/.default"
        expect_code("client_credentials.other_cloud_resource", confidential(args).acquire_token_for_client([other]), 500011, "invalid_resource")
    not_default = args.app_scope.rsplit("/", 1)[0] + "/IMAP.AccessAsApp"
    expect_code("client_credentials.not_default", confidential(args).acquire_token_for_client([not_default]), 1002012, "invalid_scope")
    if args.foreign_client_id:
        expect_code("client_credentials.app_from_other_cloud",
                    confidential(args, client_id=args.foreign_client_id).acquire_token_for_client([args.app_scope]), 700016)


def device_code(args):
    app = msal.PublicClientApplication(args.public_client_id, authority=f"{args.authority}/{args.tenant}",
                                       instance_discovery=False, verify=args.ca_file, timeout=10)
    flow = app.initiate_device_flow(scopes=[args.scope])
    if "user_code" not in flow:
        record("device_code.start", False, json.dumps(flow)[:200])
        return
    record("device_code.start", flow.get("interval") == 5 and flow.get("message", "").startswith("To sign in, use a web browser"), flow.get("message", ""))
    # One poll before approval: msal returns the pending error once the flow's expiry is reached.
    pending_flow = dict(flow)
    pending_flow["expires_at"] = 0
    expect_code("device_code.pending", app.acquire_token_by_device_flow(pending_flow), 70016, "authorization_pending")
    admin(args, "POST", "device/approve", {"user_code": flow["user_code"], "user": args.user})
    result = app.acquire_token_by_device_flow(flow)
    record("device_code.token", "access_token" in result,
           json.dumps({k: result.get(k) for k in ("error", "error_codes", "scope")}))


def password_errors(args):
    app = confidential(args)
    # msal asks https://<host>/common/userrealm/<user> on port 443 whatever the authority's port; the
    # service answers that route, but with a mock on another port nothing listens on 443. Recording the
    # host as having no realm discovery is what msal itself does after a 404 there.
    netloc = urllib.parse.urlsplit(args.authority).netloc
    if ":" in netloc and not netloc.endswith(":443"):
        msal.authority.Authority._domains_without_user_realm_discovery.add(netloc.split(":")[0])
    if args.mfa_user:
        expect_code("ropc.mfa", app.acquire_token_by_username_password(args.mfa_user, args.password, [args.scope]), 50076)
    expect_code("ropc.bad_password", app.acquire_token_by_username_password(args.user, "not-the-password", [args.scope]), 50126, "invalid_grant")
    if args.other_cloud_scope:
        expect_code("ropc.other_cloud_scope", app.acquire_token_by_username_password(args.user, args.password, [args.other_cloud_scope]),
                    500011, "invalid_resource")


def unknown_tenant(args):
    try:
        msal.ConfidentialClientApplication(args.client_id, client_credential=args.client_secret,
                                           authority=f"{args.authority}/00000000-0000-4000-8000-000000000000",
                                           instance_discovery=False, verify=args.ca_file, timeout=10)
        record("unknown_tenant", False, "msal accepted an unknown tenant")
    except ValueError as error:
        record("unknown_tenant", "Unable to get authority configuration" in str(error), str(error)[:160])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in ("authority", "tenant", "ca-file", "admin-url", "client-id", "client-secret", "redirect-uri",
                 "public-client-id", "user", "password", "scope", "app-scope"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--other-cloud-scope")
    parser.add_argument("--mfa-user")
    parser.add_argument("--foreign-client-id")
    args = parser.parse_args()
    args.authority = args.authority.rstrip("/")
    args.admin_url = args.admin_url.rstrip("/")
    if args.ca_file.lower() == "none":
        args.ca_file = False
    else:
        # msal's own HTTP client honours the CA bundle through requests' environment settings.
        os.environ["REQUESTS_CA_BUNDLE"] = args.ca_file

    app, result, _ = auth_code_flow(args)
    refresh(args, app, result)
    client_credentials(args)
    device_code(args)
    password_errors(args)
    unknown_tenant(args)

    failed = [r["case"] for r in RESULTS if not r["ok"]]
    errors_checked = sum(1 for r in RESULTS if "want" in r["detail"])
    print(json.dumps({"summary": True, "cases": len(RESULTS), "failed": failed, "error_cases": errors_checked}), flush=True)
    sys.exit(0 if not failed and errors_checked >= 5 else 1)


if __name__ == "__main__":
    main()
