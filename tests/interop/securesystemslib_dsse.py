"""DSSE interop with securesystemslib, driven by tests/cli/interop_securesystemslib.rs.

  verify ENVELOPE_JSON_FILE PUBLIC_KEY_HEX
      Verify an envelope with securesystemslib; print the key's keyid, then "verified".
      Exit 1 if the signature does not verify.
  sign PAYLOAD_FILE
      Generate an Ed25519 key, sign PAYLOAD_FILE as an in-toto payload; print JSON
      {"envelope": ..., "public": <hex>, "keyid": ...}.
"""

import json
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from securesystemslib.dsse import Envelope
from securesystemslib.exceptions import VerificationError
from securesystemslib.signer import CryptoSigner, SSlibKey

PAYLOAD_TYPE = "application/vnd.in-toto+json"


def verify(envelope_file, public_hex):
    key = SSlibKey.from_crypto(Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)))
    print(key.keyid)
    with open(envelope_file, encoding="utf-8") as f:
        envelope = Envelope.from_dict(json.load(f))
    try:
        envelope.verify([key], 1)
    except VerificationError as e:
        print(f"rejected: {e}")
        return 1
    print("verified")
    return 0


def sign(payload_file):
    signer = CryptoSigner.generate_ed25519()
    with open(payload_file, "rb") as f:
        payload = f.read()
    envelope = Envelope(payload, PAYLOAD_TYPE, {})
    envelope.sign(signer)
    print(json.dumps({
        "envelope": envelope.to_dict(),
        "public": signer.public_key.keyval["public"],
        "keyid": signer.public_key.keyid,
    }))
    return 0


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    sys.exit({"verify": verify, "sign": sign}[command](*args))
