"""pywinrm client for conformance_test.go: one run_cmd through winrm.Session.

  pywinrm_client.py probe
      exit 0 if winrm, requests_ntlm and MD4 (for ntlm_auth) are usable
  pywinrm_client.py ENDPOINT USER PASSWORD TRANSPORT ENCRYPTION CA COMMAND [ARG...]
      runs Session(ENDPOINT, auth=(USER, PASSWORD), transport=TRANSPORT,
      message_encryption=ENCRYPTION, server_cert_validation='ignore')
      .run_cmd(COMMAND, ARGS) and prints one JSON object (CA, unless "-",
      is a PEM file to validate the server certificate against instead):
      {"status_code", "std_out", "std_err"} or, on an exception,
      {"error_type", "error"} plus "code" and "response_text" when the
      exception carries them (WinRMTransportError).
"""
import hashlib
import json
import sys
import warnings

if sys.argv[1] == "probe":
    import requests_ntlm  # noqa: F401
    import winrm  # noqa: F401

    hashlib.new("md4", b"")
    sys.exit(0)

import winrm

warnings.simplefilter("ignore")  # urllib3's InsecureRequestWarning with 'ignore'

endpoint, user, password, transport, encryption, ca, command = sys.argv[1:8]
args = sys.argv[8:]
tls = {"server_cert_validation": "ignore"}
if ca != "-":
    tls = {"server_cert_validation": "validate", "ca_trust_path": ca}
try:
    session = winrm.Session(
        endpoint,
        auth=(user, password),
        transport=transport,
        message_encryption=encryption,
        **tls,
    )
    r = session.run_cmd(command, args)
    out = {
        "status_code": r.status_code,
        "std_out": r.std_out.decode("utf-8", "replace"),
        "std_err": r.std_err.decode("utf-8", "replace"),
    }
except Exception as e:  # report every failure to the Go test as data
    out = {"error_type": type(e).__name__, "error": str(e)}
    for attr in ("code", "response_text"):
        try:
            v = getattr(e, attr)
        except Exception:
            continue
        if isinstance(v, bytes):
            v = v.decode("utf-8", "replace")
        if isinstance(v, (str, int)):
            out[attr] = v
print(json.dumps(out))
