#!/usr/bin/env python3
"""The SSO story of Atlassian's KB "Configure OAuth Custom Mail Handler for SSO in JSM Cloud", in headless
Chromium against a running `exomock serve` (docs/sso-story.md).

1. The admin signs in to the Jira site through SSO, on exomock's sign-in page.
2. Connecting the mail handler: the authorize request signs the admin in silently (the KB's problem),
   and the code redeems to a token for the admin, not the mailbox.
3. Signing out of SSO (the logout endpoint).
4. Connecting again: the sign-in page appears; the mailbox's account signs in; the code redeems to a
   token for the mailbox.

Jira's callback is played by a small HTTP server in this process on 127.0.0.1 (ephemeral port). The
browser reaches it as http://jira.contoso.example/... and reaches the token service as
https://login.microsoftonline.us/... through Chromium's --host-resolver-rules (no /etc/hosts edits).

TLS: Chromium trusts the exomock CA through --ignore-certificate-errors-spki-list with the SHA-256 of the
CA's and the cloud certificate's SubjectPublicKeyInfo: a chain is accepted only when it contains one of
those keys, every other certificate error stays fatal. (--ignore-certificate-errors is never used.)

Usage: browser_sso.py --ready-file ready.json --cloud gcc-high --tenant TENANT --sso-client-id A
       --sso-secret S --sso-redirect URI --client-id B --client-secret S2 --redirect-uri URI2
       --admin UPN --admin-password PW --mailbox UPN --mailbox-password PW2 --scope SCOPE
       --screenshots DIR [--deadline 40]
Needs: apt-get install chromium chromium-driver; pip install selenium requests.
"""
import argparse
import base64
import faulthandler
import html
import http.server
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.parse

try:
    import requests
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError as error:
    print(json.dumps({"case": "import", "ok": False, "detail": f"{error}: run `pip install selenium requests`"}), flush=True)
    sys.exit(3)

RESULTS = []
JIRA_HOST = "jira.contoso.example"


def record(case, ok, detail=""):
    RESULTS.append({"case": case, "ok": bool(ok), "detail": detail})
    print(json.dumps(RESULTS[-1]), flush=True)


def claims(jwt):
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def spki_hash(pem_path):
    """base64(SHA-256(SubjectPublicKeyInfo DER)) of a certificate, as Chromium's SPKI list wants it."""
    pubkey = subprocess.run(["openssl", "x509", "-in", pem_path, "-pubkey", "-noout"], check=True, capture_output=True, timeout=20).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pubkey, check=True, capture_output=True, timeout=20).stdout
    digest = subprocess.run(["openssl", "dgst", "-sha256", "-binary"], input=der, check=True, capture_output=True, timeout=20).stdout
    return base64.b64encode(digest).decode()


class Callback(http.server.BaseHTTPRequestHandler):
    """Jira's OAuth callback: takes the code, redeems it at the token endpoint, shows who connected."""
    redeem = None  # set by main: (path, query) -> (title, rows)
    paths = set()

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path not in Callback.paths:
            self.send_error(404)
            return
        query = dict(urllib.parse.parse_qsl(url.query))
        title, rows = Callback.redeem(url.path, query)
        cells = "".join(f"<tr><th>{html.escape(k)}</th><td id='{html.escape(k)}'>{html.escape(v)}</td></tr>" for k, v in rows)
        body = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title><style>"
                "body{font-family:Helvetica,Arial,sans-serif;background:#f4f5f7;margin:0}header{background:#0052cc;color:#fff;padding:14px 24px;"
                "font-weight:bold}main{max-width:640px;margin:40px auto;background:#fff;padding:32px;border-radius:3px;box-shadow:0 1px 2px rgba(0,0,0,.2)}"
                "th{text-align:left;padding:4px 16px 4px 0;color:#5e6c84;font-weight:normal}td{padding:4px 0}</style></head><body>"
                f"<header>Jira Service Management (played by the test)</header><main><h2 id='title'>{html.escape(title)}</h2><table>{cells}</table></main></body></html>")
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in ("ready-file", "cloud", "tenant", "sso-client-id", "sso-secret", "sso-redirect", "client-id", "client-secret",
                 "redirect-uri", "admin", "admin-password", "mailbox", "mailbox-password", "scope", "screenshots"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--deadline", type=float, default=40)
    args = parser.parse_args()
    faulthandler.dump_traceback_later(args.deadline, exit=True)

    for program, package in (("/usr/bin/chromium", "chromium"), ("/usr/bin/chromedriver", "chromium-driver")):
        if not os.access(program, os.X_OK):
            print(json.dumps({"case": "browser", "ok": False, "detail": f"{program} is missing: apt-get install {package}"}), flush=True)
            sys.exit(3)

    with open(args.ready_file) as f:
        ready = json.load(f)
    cloud = next(c for c in ready["clouds"] if c["name"] == args.cloud)
    authority_url = cloud["authority_url"].rstrip("/")  # https://127.0.0.1:PORT
    authority_port = urllib.parse.urlsplit(authority_url).port
    real_host = cloud["authority_host"]  # login.microsoftonline.us
    ca_file = ready["ca_file"]
    certs = os.path.dirname(ca_file)
    os.makedirs(args.screenshots, exist_ok=True)
    for stale in os.listdir(args.screenshots):
        if stale.endswith(".png"):
            os.remove(os.path.join(args.screenshots, stale))

    # The token endpoint is called by "Jira" (this process) on the loopback URL, trusting the CA.
    os.environ.pop("REQUESTS_CA_BUNDLE", None)
    os.environ.pop("CURL_CA_BUNDLE", None)
    clients = {urllib.parse.urlsplit(args.sso_redirect).path: (args.sso_client_id, args.sso_secret, args.sso_redirect, "openid profile email"),
               urllib.parse.urlsplit(args.redirect_uri).path: (args.client_id, args.client_secret, args.redirect_uri, args.scope)}
    tokens = []

    def redeem(path, query):
        if "error" in query:
            return "Sign-in failed", [("error", query["error"]), ("description", query.get("error_description", "")[:120])]
        client_id, secret, redirect, scope = clients[path]
        response = requests.post(f"{authority_url}/{args.tenant}/oauth2/v2.0/token", verify=ca_file, timeout=10, data={
            "grant_type": "authorization_code", "client_id": client_id, "client_secret": secret,
            "code": query.get("code", ""), "redirect_uri": redirect, "scope": scope})
        result = response.json()
        tokens.append(result)
        if "access_token" not in result:
            return "Token request failed", [("error", result.get("error", "")), ("error_codes", str(result.get("error_codes")))]
        id_claims = claims(result["id_token"]) if "id_token" in result else {}
        at = claims(result["access_token"])
        if path == urllib.parse.urlsplit(args.sso_redirect).path:
            return "Signed in to Jira", [("Signed in as", id_claims.get("preferred_username", "")), ("Name", id_claims.get("name", ""))]
        return "Email account connected", [("Mail account (token upn)", at.get("upn", "")), ("Audience", at.get("aud", "")),
                                           ("Scopes", at.get("scp", ""))]

    Callback.redeem = staticmethod(redeem)
    Callback.paths = set(clients)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Callback)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    jira_port = server.server_address[1]

    profile = tempfile.mkdtemp(prefix="exomock-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    spki = [spki_hash(ca_file), spki_hash(os.path.join(certs, f"{args.cloud}.pem"))]
    for argument in ("--headless=new", "--window-size=900,720", "--hide-scrollbars", "--force-device-scale-factor=1",
                     "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--font-render-hinting=none", f"--user-data-dir={profile}",
                     f"--ignore-certificate-errors-spki-list={','.join(spki)}",
                     f"--host-resolver-rules=MAP {JIRA_HOST}:80 127.0.0.1:{jira_port}, MAP {real_host}:443 127.0.0.1:{authority_port}, "
                     "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"):
        options.add_argument(argument)
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(15)
    wait = WebDriverWait(driver, 10)
    shot_number = [0]

    def shot(name):
        shot_number[0] += 1
        path = os.path.join(args.screenshots, f"{shot_number[0]:02d}-{name}.png")
        driver.execute_script("document.activeElement && document.activeElement.blur()")  # no blinking caret
        driver.save_screenshot(path)
        return path

    def authorize(client_id, redirect, scope, **extra):
        query = {"client_id": client_id, "response_type": "code", "redirect_uri": redirect, "scope": scope,
                 "response_mode": "query", "state": secrets.token_urlsafe(8), **extra}
        driver.get(f"https://{real_host}/{args.tenant}/oauth2/v2.0/authorize?" + urllib.parse.urlencode(query))
        return query["state"]

    def sign_in(upn, password, name):
        wait.until(expected_conditions.presence_of_element_located((By.ID, "i0116")))
        field = driver.find_element(By.ID, "i0116")
        field.clear()
        field.send_keys(upn)
        driver.find_element(By.ID, "i0118").send_keys(password)
        shot(name)
        driver.find_element(By.ID, "idSIButton9").click()

    def at_callback(path):
        wait.until(lambda d: urllib.parse.urlsplit(d.current_url).path == path and d.find_elements(By.ID, "title"))
        return driver.find_element(By.ID, "title").text

    try:
        # 1. The admin signs in to the Jira site through SSO.
        authorize(args.sso_client_id, args.sso_redirect, "openid profile email")
        record("sso.sign_in_page", "Sign in" in driver.title and driver.current_url.startswith(f"https://{real_host}/"), driver.current_url[:80])
        shot("sso-sign-in-page")
        sign_in(args.admin, args.admin_password, "sso-admin-signs-in")
        title = at_callback(urllib.parse.urlsplit(args.sso_redirect).path)
        shot("jira-signed-in-as-admin")
        record("sso.admin_signed_in", title == "Signed in to Jira" and driver.find_element(By.ID, "Signed in as").text == args.admin, title)

        # 2. Connecting the mail handler signs the admin in silently: no page, straight back to Jira.
        authorize(args.client_id, args.redirect_uri, args.scope)
        title = at_callback(urllib.parse.urlsplit(args.redirect_uri).path)
        shot("mail-handler-connected-as-admin")
        upn = tokens[-1].get("access_token") and claims(tokens[-1]["access_token"]).get("upn")
        record("mail_handler.silent_admin", upn == args.admin and title == "Email account connected", f"token upn={upn}")

        # 3. Sign out of SSO only.
        driver.get(f"https://{real_host}/{args.tenant}/oauth2/v2.0/logout")
        wait.until(expected_conditions.presence_of_element_located((By.ID, "signedOut")))
        shot("signed-out-of-sso")
        record("logout", "You signed out" in driver.find_element(By.ID, "signedOut").text, driver.title)

        # 4. Connect again: the sign-in page, the mailbox's account, a token for the mailbox.
        authorize(args.client_id, args.redirect_uri, args.scope)
        wait.until(expected_conditions.presence_of_element_located((By.ID, "i0116")))
        record("mail_handler.sign_in_page", "Sign in" in driver.title, driver.title)
        shot("mail-handler-sign-in-page")
        sign_in(args.mailbox, args.mailbox_password, "mailbox-signs-in")
        title = at_callback(urllib.parse.urlsplit(args.redirect_uri).path)
        shot("mail-handler-connected-as-mailbox")
        upn = tokens[-1].get("access_token") and claims(tokens[-1]["access_token"]).get("upn")
        record("mail_handler.mailbox", upn == args.mailbox and driver.find_element(By.ID, "Mail account (token upn)").text == args.mailbox,
               f"token upn={upn}")
    finally:
        driver.quit()
        server.shutdown()
        shutil.rmtree(profile, ignore_errors=True)

    shots = sorted(p for p in os.listdir(args.screenshots) if p.endswith(".png"))
    record("screenshots", len(shots) == shot_number[0] == 8, " ".join(shots))
    failed = [r["case"] for r in RESULTS if not r["ok"]]
    print(json.dumps({"summary": True, "cases": len(RESULTS), "failed": failed}), flush=True)
    sys.exit(0 if not failed else 1)


if __name__ == "__main__":
    main()
