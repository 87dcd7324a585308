"""NTLM client side for ntlm_test.go, using ntlm_auth as requests_ntlm 1.1 does.

  ntlm_client.py probe                      exit 0 if ntlm_auth and MD4 work
  ntlm_client.py tokens USER PASSWORD DOMAIN
      prints the base64 NEGOTIATE, reads a base64 CHALLENGE line on stdin,
      prints the base64 AUTHENTICATE
  ntlm_client.py http URL DOMAIN\\USER PASSWORD
      GETs URL with requests_ntlm.HttpNtlmAuth and prints the status code
"""
import hashlib
import sys

from ntlm_auth import ntlm

mode = sys.argv[1]
if mode == "probe":
    hashlib.new("md4", b"")
elif mode == "tokens":
    user, password, domain = sys.argv[2:5]
    ctx = ntlm.Ntlm()  # what requests_ntlm.HttpNtlmAuth uses
    print(ctx.create_negotiate_message(domain).decode("ascii"), flush=True)
    ctx.parse_challenge_message(sys.stdin.readline().strip())
    print(ctx.create_authenticate_message(user, password, domain).decode("ascii"), flush=True)
elif mode == "http":
    import requests
    from requests_ntlm import HttpNtlmAuth

    url, user, password = sys.argv[2:5]
    print(requests.get(url, auth=HttpNtlmAuth(user, password)).status_code)
else:
    sys.exit("unknown mode " + mode)
