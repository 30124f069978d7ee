"""Console sign-in in a real headless browser (Debian's chromium, driven through chromedriver's
WebDriver HTTP API with urllib): the URL `rolecall login --print-url` prints lands on the console
page showing the role; a reused, an expired and a forged sign-in token are refused; a
GetSessionToken session is refused with AWS's message; long-term keys sign in as a federated
user; `SessionDuration` sets the session's end, at most an hour for a session of role
chaining; signing out ends the session for every copy of its cookie; `rolecall login` without
--print-url hands the URL to $BROWSER; and the sign-ins are in the audit trail as CloudTrail
records them (LookupEvents, EventName=ConsoleLogin).

The server runs with `--signin-token-seconds 5`, so that a token expires within the test."""

import base64
import datetime
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

from rc import ADMINS, ENDPOINT, admin, doc

RC = os.environ["RC_BIN"]
ACCOUNT = ADMINS[0]["AccountId"]
TOKEN_SECONDS = 5
NOT_FEDERATED = ("Only federation tokens or assume role tokens may be used for federated login. "
                 "Please contact your administrator.")
ROLE_ARN = f"arn:aws:sts::{ACCOUNT}:assumed-role/Ops/console-e2e"

CHROMEDRIVER = shutil.which("chromedriver") or "/usr/lib/chromium/chromedriver"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if not os.path.exists(CHROMEDRIVER) or CHROMIUM is None:
    print("skipped: chromium and chromium-driver are not installed")
    raise SystemExit(0)


class WebDriver:
    """The few W3C WebDriver commands the test needs, over chromedriver's HTTP API."""

    def __init__(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.profile = tempfile.mkdtemp(prefix="rolecall-chromium-")
        self.process = subprocess.Popen(
            [CHROMEDRIVER, f"--port={self.port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{self.port}"
        for _ in range(100):
            try:
                if self._call("GET", "/status")["ready"]:
                    break
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.1)
        else:
            raise AssertionError("chromedriver did not start")
        options = {
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1100,720", f"--user-data-dir={self.profile}"],
        }
        session = self._call("POST", "/session", {
            "capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": options}}})
        self.session = f"/session/{session['sessionId']}"

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.loads(r.read())["value"]
        except urllib.error.HTTPError as e:
            raise AssertionError(f"WebDriver {method} {path}: {e.code} {e.read()[:500]!r}")

    def cmd(self, method, path, body=None):
        return self._call(method, self.session + path, body)

    def go(self, url):
        self.cmd("POST", "/url", {"url": url})

    def url(self):
        return self.cmd("GET", "/url")

    def find(self, css):
        found = self.cmd("POST", "/elements", {"using": "css selector", "value": css})
        return [next(iter(e.values())) for e in found]

    def text(self, css):
        """The text of the first element `css` finds, waiting for it (a click's navigation
        may still be under way)."""
        for _ in range(100):
            found = self.find(css)
            if found:
                try:
                    return self.cmd("GET", f"/element/{found[0]}/text")
                except AssertionError:
                    pass  # the page changed under the element
            time.sleep(0.1)
        raise AssertionError(f"no {css} on {self.url()}:\n{self.cmd('GET', '/source')[:2000]}")

    def click(self, css):
        found = self.find(css)
        assert found, f"no {css} on {self.url()}"
        self.cmd("POST", f"/element/{found[0]}/click", {})

    def cookies(self):
        return self.cmd("GET", "/cookie")

    def add_cookie(self, cookie):
        self.cmd("POST", "/cookie", {"cookie": cookie})

    def forget_cookies(self):
        self.cmd("DELETE", "/cookie")

    def screenshot(self):
        return base64.b64decode(self.cmd("GET", "/screenshot"))

    def quit(self):
        try:
            self.cmd("DELETE", "")
        finally:
            self.process.terminate()
            self.process.wait(timeout=10)
            shutil.rmtree(self.profile, ignore_errors=True)


# --- The account: a role the admin may assume.
iam = admin("iam")
trust = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
             "Action": "sts:AssumeRole"})
iam.create_role(RoleName="Ops", AssumeRolePolicyDocument=trust, MaxSessionDuration=3600)
# A second role that Ops may assume: a session of it is had by role chaining.
iam.create_role(RoleName="Chained", MaxSessionDuration=43200, AssumeRolePolicyDocument=doc(
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/Ops"}, "Action": "sts:AssumeRole"}))
iam.put_role_policy(RoleName="Ops", PolicyName="chain", PolicyDocument=doc(
    {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{ACCOUNT}:role/Chained"}))

# --- A client home: the admin's keys as `default`, a role profile, the server as the endpoint.
home = tempfile.mkdtemp(prefix="rolecall-login-")
os.makedirs(os.path.join(home, ".aws"))
with open(os.path.join(home, ".aws", "credentials"), "w") as f:
    f.write(f"[default]\naws_access_key_id = {ADMINS[0]['AccessKeyId']}\n"
            f"aws_secret_access_key = {ADMINS[0]['SecretAccessKey']}\n")
with open(os.path.join(home, ".aws", "config"), "w") as f:
    f.write(f"[default]\nregion = us-east-1\n\n[profile ops]\nrole_arn = arn:aws:iam::{ACCOUNT}:role/Ops\n"
            "source_profile = default\nrole_session_name = console-e2e\nregion = us-east-1\n\n"
            f"[profile chained]\nrole_arn = arn:aws:iam::{ACCOUNT}:role/Chained\nsource_profile = ops\n"
            "role_session_name = chained-e2e\nregion = us-east-1\n")


def run_login(*args, env=None):
    """`rolecall login ARGS` in the client home."""
    e = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    e.update({"HOME": home, "AWS_ENDPOINT_URL": ENDPOINT, "AWS_CONFIG_FILE": os.path.join(home, ".aws", "config"),
              "AWS_SHARED_CREDENTIALS_FILE": os.path.join(home, ".aws", "credentials")})
    e.pop("BROWSER", None)
    e.update(env or {})
    return subprocess.run([RC, "login", *args], env=e, capture_output=True, text=True, timeout=60)


def login(*args, env=None):
    """`rolecall login ARGS`, which must succeed; returns stdout."""
    out = run_login(*args, env=env)
    assert out.returncode == 0, f"rolecall login {args}: {out.returncode}\n{out.stderr}"
    return out.stdout.strip()


def signin_token(url):
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["SigninToken"][0]


def with_token(url, token):
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(parts.query)
    query["SigninToken"] = [token]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query, doseq=True)))


browser = WebDriver()
try:
    # --- The role profile's URL lands on the console page showing the role.
    url = login("ops", "--print-url")
    assert url.startswith(f"{ENDPOINT}/federation?"), url
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert query["Action"] == ["login"] and query["Destination"] == [f"{ENDPOINT}/console"], query
    browser.go(url)
    assert browser.url() == f"{ENDPOINT}/console", browser.url()
    assert browser.text("#arn") == ROLE_ARN, browser.text("#arn")
    assert browser.text("#account") == ACCOUNT
    assert browser.text("#session-name") == "console-e2e"
    assert browser.text("#role") == f"arn:aws:iam::{ACCOUNT}:role/Ops"
    assert browser.text("#mfa") == "No"
    expires = datetime.datetime.fromisoformat(browser.text("#expires").replace("Z", "+00:00"))
    left = (expires - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    assert 3000 < left <= 3600, left  # as long as the role's credentials
    png = browser.screenshot()
    assert png.startswith(b"\x89PNG") and len(png) > 5000
    if os.environ.get("RC_SCREENSHOT"):
        with open(os.environ["RC_SCREENSHOT"], "wb") as f:
            f.write(png)
    cookie = next(c for c in browser.cookies() if c["name"] == "rolecall-console")
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax", cookie

    # --- The same URL again: the token is spent.
    browser.go(url)
    assert "already been used" in browser.text("#error"), browser.text("#error")

    # --- A forged token (one character changed), and one from nowhere.
    token = signin_token(url)
    forged = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    for bad in (forged, "bm90LWEtdG9rZW4"):
        browser.go(with_token(url, bad))
        assert "not valid" in browser.text("#error"), browser.text("#error")

    # --- A token past its lifetime.
    late = login("ops", "--print-url")
    time.sleep(TOKEN_SECONDS + 1.5)
    browser.go(late)
    assert "has expired" in browser.text("#error"), browser.text("#error")

    # --- Signing out ends the session, for this browser and for any copy of its cookie.
    browser.go(f"{ENDPOINT}/console")
    assert browser.text("#arn") == ROLE_ARN
    browser.click("#signout")
    assert "You have signed out" in browser.text("#signed-out")
    assert not [c for c in browser.cookies() if c["name"] == "rolecall-console"]
    browser.go(f"{ENDPOINT}/console")
    assert "not signed in" in browser.text("#signed-out")
    browser.add_cookie({"name": cookie["name"], "value": cookie["value"], "path": "/", "httpOnly": True})
    browser.go(f"{ENDPOINT}/console")
    assert "not signed in" in browser.text("#signed-out"), "a signed-out session's cookie still works"
    browser.forget_cookies()

    # --- A GetSessionToken session is refused with AWS's message.
    sts = admin("sts")
    gst = sts.get_session_token(DurationSeconds=900)["Credentials"]
    url = login("--print-url", env={"AWS_ACCESS_KEY_ID": gst["AccessKeyId"],
                                    "AWS_SECRET_ACCESS_KEY": gst["SecretAccessKey"],
                                    "AWS_SESSION_TOKEN": gst["SessionToken"]})
    browser.go(url)
    assert browser.text("#error") == NOT_FEDERATED, browser.text("#error")
    assert not [c for c in browser.cookies() if c["name"] == "rolecall-console"]

    # --- Credentials the federation endpoint refuses: the client says so (exit 254).
    out = run_login("--print-url", env={"AWS_ACCESS_KEY_ID": gst["AccessKeyId"],
                                        "AWS_SECRET_ACCESS_KEY": "wrong" * 8,
                                        "AWS_SESSION_TOKEN": gst["SessionToken"]})
    assert out.returncode == 254 and "Call to getSigninToken failed with 400" in out.stderr, out

    # --- Long-term keys sign in as a federated user named after the profile.
    browser.go(login("default", "--print-url"))
    assert browser.text("#arn") == f"arn:aws:sts::{ACCOUNT}:federated-user/default", browser.text("#arn")
    assert browser.text("#issuer") == f"arn:aws:iam::{ACCOUNT}:user/admin"
    browser.forget_cookies()

    # --- --duration-seconds: the console session of a role outlasts its credentials.
    browser.go(login("ops", "--print-url", "--duration-seconds", "43200"))
    expires = datetime.datetime.fromisoformat(browser.text("#expires").replace("Z", "+00:00"))
    left = (expires - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    assert 43000 < left <= 43200, left
    browser.forget_cookies()

    # --- A session of role chaining: SessionDuration above an hour is refused at getSigninToken
    # (400, as AWS answers it); an hour is accepted.
    out = run_login("chained", "--print-url", "--duration-seconds", "43200")
    assert out.returncode == 254 and "Call to getSigninToken failed with 400" in out.stderr, out
    browser.go(login("chained", "--print-url", "--duration-seconds", "3600"))
    assert browser.text("#arn") == f"arn:aws:sts::{ACCOUNT}:assumed-role/Chained/chained-e2e", browser.text("#arn")
    expires = datetime.datetime.fromisoformat(browser.text("#expires").replace("Z", "+00:00"))
    left = (expires - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    assert 3400 < left <= 3600, left
    browser.forget_cookies()

    # --- Without --print-url the URL goes to $BROWSER (the URL as an argument, never a shell).
    seen = os.path.join(home, "browser-saw")
    fake = os.path.join(home, "fake-browser")
    with open(fake, "w") as f:
        f.write(f"#!/bin/sh\nprintf '%s' \"$1\" > {seen}.tmp && mv {seen}.tmp {seen}\n")
    os.chmod(fake, 0o755)
    assert login("ops", env={"BROWSER": fake}) == ""
    for _ in range(100):
        if os.path.exists(seen):
            break
        time.sleep(0.05)
    with open(seen) as f:
        opened = f.read()
    browser.go(opened)
    assert browser.text("#arn") == ROLE_ARN
finally:
    browser.quit()

# --- The sign-ins in the trail, as CloudTrail records them. A sign-in is visible within a
# second of its answer: wait (a bounded while) until the last one, a success, is there too.
ct = admin("cloudtrail")
records = []
ok = []
for _ in range(40):
    events = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "ConsoleLogin"}])["Events"]
    records = [json.loads(e["CloudTrailEvent"]) for e in events]
    ok = [r for r in records if r["responseElements"] == {"ConsoleLogin": "Success"}]
    if len(ok) >= 5 and any(r["responseElements"]["ConsoleLogin"] == "Failure" for r in records):
        break
    time.sleep(0.1)
assert len(ok) == 5, [r["responseElements"] for r in records]
role = next(r for r in ok if r["userIdentity"]["type"] == "AssumedRole")
assert role["eventSource"] == "signin.amazonaws.com" and role["eventType"] == "AwsConsoleSignIn", role
assert role["userIdentity"]["arn"] == ROLE_ARN and role["recipientAccountId"] == ACCOUNT, role
assert role["additionalEventData"]["LoginTo"] == f"{ENDPOINT}/console", role
assert role["additionalEventData"]["MFAUsed"] == "No" and role["requestParameters"] is None, role
assert any(r["userIdentity"]["type"] == "FederatedUser" for r in ok)
refused = [r for r in records if r["responseElements"] == {"ConsoleLogin": "Failure"}]
assert any(r.get("errorMessage") == NOT_FEDERATED and r["userIdentity"]["type"] == "IAMUser" for r in refused), refused
events = ct.lookup_events(LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": "console-e2e"}])["Events"]
assert any(e["EventName"] == "ConsoleLogin" for e in events), [e["EventName"] for e in events]
for r in records:
    text = json.dumps(r)
    assert ADMINS[0]["SecretAccessKey"] not in text and gst["SessionToken"] not in text

shutil.rmtree(home, ignore_errors=True)
print("console sign-in ok")
