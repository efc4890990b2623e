"""Independent checks for carebell's tests, with libraries that are not carebell's:

- `webhook`: verifies a Standard Webhooks signature with the `standardwebhooks` package
  (the specification's own Python library), taking "now" from the test's clock.
- `push-keys`: makes a browser's push subscription keys (P-256, `cryptography`).
- `push-open`: decrypts a push message (aes128gcm, RFC 8291) with the `http_ece` package and
  checks its VAPID token (RFC 8292: ES256 over the JWT, `aud` the push service's origin,
  `exp` within 24 hours, `sub` a contact) with `cryptography`.

Reads one JSON object on standard input, prints one JSON object, exits 1 on a refusal.
"""
import base64
import json
import sys
from datetime import datetime, timezone


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def webhook(req):
    import standardwebhooks.webhooks as sw

    now = datetime.fromtimestamp(req["now"], tz=timezone.utc)

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return now

    sw.datetime = Frozen
    payload = sw.Webhook(req["secret"]).verify(req["body"], req["headers"])
    return {"payload": payload}


def push_keys(_):
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives import serialization
    import os

    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    number = key.private_numbers().private_value
    return {
        "private": format(number, "064x"),
        "p256dh": b64url(public),
        "auth": b64url(os.urandom(16)),
    }


def push_open(req):
    import http_ece
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    key = ec.derive_private_key(int(req["private"], 16), ec.SECP256R1())
    body = base64.b64decode(req["body"])
    plain = http_ece.decrypt(body, private_key=key, auth_secret=unb64url(req["auth"]), version="aes128gcm")

    # Authorization: vapid t=<JWT>, k=<public key>
    scheme, _, params = req["authorization"].partition(" ")
    if scheme != "vapid":
        raise ValueError(f"not a vapid authorization: {scheme}")
    fields = dict(p.strip().split("=", 1) for p in params.split(","))
    header_b64, claims_b64, sig_b64 = fields["t"].split(".")
    header = json.loads(unb64url(header_b64))
    if header.get("alg") != "ES256":
        raise ValueError(f"alg {header.get('alg')}")
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(fields["k"]))
    sig = unb64url(sig_b64)
    r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
    public.verify(encode_dss_signature(r, s), f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    claims = json.loads(unb64url(claims_b64))
    if claims.get("aud") != req["audience"]:
        raise ValueError(f"aud {claims.get('aud')} is not {req['audience']}")
    left = claims["exp"] - req["now"]
    if not (0 < left <= 24 * 3600):
        raise ValueError(f"exp {claims['exp']} is not within 24 hours of now")
    if not (claims.get("sub", "").startswith("mailto:") or claims.get("sub", "").startswith("https:")):
        raise ValueError(f"sub {claims.get('sub')}")
    return {"payload": json.loads(plain), "claims": claims}


def main():
    mode = sys.argv[1]
    req = json.loads(sys.stdin.read() or "{}")
    try:
        out = {"webhook": webhook, "push-keys": push_keys, "push-open": push_open}[mode](req)
    except Exception as e:  # a refusal: say why
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
