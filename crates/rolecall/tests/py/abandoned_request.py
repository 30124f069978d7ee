"""A request whose client leaves before the answer still runs to its end: the change it makes
is committed together with its event in the audit trail, never one without the other.

The server's database (RC_DB, SQLite) is held locked while a signed CreateUser arrives, so the
request is still waiting for its write when the client closes the connection; the lock is
then released."""

import os
import socket
import sqlite3
import time
import urllib.parse

import botocore.auth
import botocore.awsrequest
import botocore.credentials

from rc import ADMINS, ENDPOINT, admin

iam = admin("iam")
ct = admin("cloudtrail")
a = ADMINS[0]

body = "Action=CreateUser&Version=2010-05-08&UserName=abandoned"
request = botocore.awsrequest.AWSRequest(
    method="POST",
    url=ENDPOINT + "/",
    data=body,
    headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
)
credentials = botocore.credentials.Credentials(a["AccessKeyId"], a["SecretAccessKey"])
botocore.auth.SigV4Auth(credentials, "iam", "us-east-1").add_auth(request)
prepared = request.prepare()

url = urllib.parse.urlsplit(ENDPOINT)
lock = sqlite3.connect(os.environ["RC_DB"], timeout=10, isolation_level=None)
lock.execute("BEGIN IMMEDIATE")  # every other writer now waits for this one
try:
    with socket.create_connection((url.hostname, url.port)) as s:
        head = f"POST / HTTP/1.1\r\nHost: {url.netloc}\r\n"
        for name, value in prepared.headers.items():
            if name.lower() != "host":
                head += f"{name}: {value}\r\n"
        head += f"Content-Length: {len(body)}\r\n\r\n"
        s.sendall(head.encode() + body.encode())
        # The server reads the request and waits for the lock; the client gives up.
        time.sleep(0.5)
        s.shutdown(socket.SHUT_RDWR)
    time.sleep(0.5)
finally:
    lock.execute("ROLLBACK")
    lock.close()

deadline = time.monotonic() + 10
while True:
    users = [u["UserName"] for u in iam.list_users()["Users"]]
    events = ct.lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateUser"}]
    )["Events"]
    recorded = [e for e in events if any(r.get("ResourceName") == "abandoned" for r in e.get("Resources", []))]
    if "abandoned" in users and recorded:
        break
    assert time.monotonic() < deadline, f"after the client left: user created {'abandoned' in users}, event recorded {bool(recorded)}"
    time.sleep(0.1)
print("completed")
