//! Ed25519 verification agrees with every Wycheproof vector (C2SP/wycheproof ed25519_test.json,
//! copied from shared/vectors into tests/data/).

use aiprov::signing::PublicKey;
use serde_json::Value;

const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/wycheproof/ed25519_test.json"
);

#[test]
fn ed25519_verification_agrees_with_every_wycheproof_vector() {
    let text = std::fs::read_to_string(VECTORS).unwrap_or_else(|e| panic!("{VECTORS}: {e}"));
    let doc: Value = serde_json::from_str(&text).expect("vectors are JSON");
    let (mut valid, mut invalid, mut acceptable) = (0, 0, 0);
    for group in doc["testGroups"].as_array().expect("testGroups") {
        let pk = hex::decode(group["publicKey"]["pk"].as_str().expect("pk")).expect("hex pk");
        let key = <[u8; 32]>::try_from(pk.as_slice())
            .ok()
            .and_then(|b| PublicKey::from_bytes(&b).ok());
        for t in group["tests"].as_array().expect("tests") {
            let id = &t["tcId"];
            let msg = hex::decode(t["msg"].as_str().expect("msg")).expect("hex msg");
            let sig = hex::decode(t["sig"].as_str().expect("sig")).expect("hex sig");
            let accepted = key.as_ref().is_some_and(|k| k.verify(&msg, &sig).is_ok());
            match t["result"].as_str().expect("result") {
                "valid" => {
                    assert!(accepted, "tcId {id} is valid but was rejected");
                    valid += 1;
                }
                "invalid" => {
                    assert!(
                        !accepted,
                        "tcId {id} is invalid but was accepted ({})",
                        t["comment"]
                    );
                    invalid += 1;
                }
                _ => acceptable += 1,
            }
        }
    }
    assert_eq!(
        (valid, invalid, acceptable),
        (88, 63, 0),
        "the vector file changed; update the expected counts"
    );
    assert_eq!(doc["numberOfTests"].as_u64(), Some(151));
}
