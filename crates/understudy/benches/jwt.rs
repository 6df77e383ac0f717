//! Costs of the signing-key operations: minting a session token (per request to
//! `POST /v1/sessions/{id}/tokens`), verifying one, and opening a sealed key (per start-up).
//!
//! `cargo bench -p understudy --bench jwt`

use std::hint::black_box;

use clerk_models::{Actor, SessionClaims};
use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use understudy::keys::{MasterKey, SigningKey};

fn claims() -> SessionClaims {
    let mut claims = SessionClaims::new(
        "http://127.0.0.1:3000",
        "user_2OEpKhcCN1Lat9NQ0G6puh7q5Rb",
        "sess_2OEpKhcCN1Lat9NQ0G6puh7q5Rc",
        1_767_225_600,
        1_767_225_660,
    );
    claims.azp = Some("https://app.example".into());
    claims.act = Some(Actor::new("user_support").with("reason", "ticket #4711"));
    claims
}

fn bench(c: &mut Criterion) {
    let key = SigningKey::generate().expect("key generation");
    let claims = claims();
    c.bench_function("mint RS256 session token", |b| {
        b.iter(|| key.mint(black_box(&claims)).expect("mint"))
    });

    let token = key.mint(&claims).expect("mint");
    let jwk: jsonwebtoken::jwk::Jwk =
        serde_json::from_value(serde_json::to_value(key.public_jwk()).expect("jwk")).expect("jwk");
    let decoding = DecodingKey::from_jwk(&jwk).expect("decoding key");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_exp = false;
    c.bench_function("verify RS256 session token (jsonwebtoken)", |b| {
        b.iter(|| {
            jsonwebtoken::decode::<SessionClaims>(black_box(&token), &decoding, &validation)
                .expect("verify")
        })
    });

    let master = MasterKey::from_bytes([7; 32]);
    let sealed = key.seal(&master).expect("seal");
    c.bench_function(
        "open sealed signing key (AES-256-GCM + PKCS#8 parse)",
        |b| b.iter(|| black_box(&sealed).open(&master).expect("open")),
    );

    let mut group = c.benchmark_group("slow");
    group.sample_size(10);
    group.bench_function("generate RSA-2048 signing key", |b| {
        b.iter(|| SigningKey::generate().expect("key generation"))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
