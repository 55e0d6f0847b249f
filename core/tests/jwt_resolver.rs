//! Account resolvers (Go's MemAccResolver, DirJWTStore/DirAccResolver and
//! the `$SYS.REQ...CLAIMS` handlers) over a simulated disk, and the
//! operator-mode config keys. Dir store tests port Go's dirstore_test.go
//! (unsharded, no LRU/TTL variants).

use rnatsd_core::conf::operator::{parse_operator_config, OperatorConfig, ResolverConfig};
use rnatsd_core::conf::parse;
use rnatsd_core::jwt::auth::TrustedOperators;
use rnatsd_core::jwt::claims::{AccountClaims, GenericClaims};
use rnatsd_core::jwt::decode::decode_operator_claims;
use rnatsd_core::jwt::encode::{encode_account, encode_generic, test_key, TestChain, TestKeyKind};
use rnatsd_core::jwt::resolver::dirstore::{DeleteType, DirJwtStore};
use rnatsd_core::jwt::resolver::sys_api::DirAccResolver;
use rnatsd_core::jwt::resolver::{MemAccResolver, ResolverError};
use rnatsd_core::storage::Storage;
use rnatsd_io_sim::disk::{DiskConfig, SimDisk};
use rnatsd_io_sim::faults::FaultAtlas;

const IAT: i64 = 1_700_000_000;
const DIR: &str = "jwts";

fn disk() -> SimDisk {
    SimDisk::new(11, DiskConfig::perfect(), FaultAtlas::pristine())
}

fn account_jwt(chain: &TestChain, n: u8, name: &str, iat: i64, exp: i64) -> (String, String) {
    let kp = test_key(TestKeyKind::Account, n);
    let mut ac = AccountClaims::new(&kp.public_key());
    ac.claims.name = name.into();
    ac.claims.expires = exp;
    (kp.public_key(), encode_account(&mut ac, &chain.operator, iat).unwrap())
}

fn files(d: &mut SimDisk) -> Vec<String> {
    d.list(DIR).unwrap()
}

/// Go: TestUnshardedDirStoreWriteAndReadonly — JWTs are stored as
/// `<dir>/<key>.jwt`, load back after a reopen, and a read-only store
/// refuses writes.
#[test]
fn test_unsharded_dir_store_write_and_readonly() {
    let c = TestChain::new(1, IAT).unwrap();
    let mut d = disk();
    let mut store = DirJwtStore::open(&mut d, DIR, DeleteType::NoDelete, 0).unwrap();
    let mut keys = Vec::new();
    for n in 10..15 {
        let (k, j) = account_jwt(&c, n, "a", IAT, 0);
        assert!(store.save(&mut d, &k, &j).unwrap());
        // The same JWT again is no change.
        assert!(!store.save(&mut d, &k, &j).unwrap());
        keys.push((k, j));
    }
    assert_eq!(files(&mut d).len(), 5);
    // Crash: everything saved was synced, so a reopen sees all of it.
    d.crash();
    let mut again = DirJwtStore::open(&mut d, DIR, DeleteType::NoDelete, 0).unwrap();
    for (k, j) in &keys {
        assert_eq!(again.load(k), Some(j.as_str()));
    }
    assert_eq!(again.hash(), store.hash());
    again.set_readonly(true);
    let (k, j) = account_jwt(&c, 20, "b", IAT, 0);
    assert_eq!(again.save(&mut d, &k, &j).unwrap_err(), ResolverError::Store("store is read-only".into()));
    assert_eq!(again.save(&mut DiskRef(&mut d), "bad", &j).unwrap_err(), ResolverError::Store("store is read-only".into()));
    let mut rw = DirJwtStore::open(&mut d, DIR, DeleteType::NoDelete, 0).unwrap();
    assert_eq!(rw.save(&mut d, "bad", &j).unwrap_err(), ResolverError::Store("invalid public key".into()));
}

/// A `&mut SimDisk` as a storage (shows any `dyn Storage` works).
struct DiskRef<'a>(&'a mut SimDisk);

impl Storage for DiskRef<'_> {
    fn open(&mut self, p: &str, c: bool) -> Result<rnatsd_core::storage::FileId, rnatsd_core::storage::StorageError> {
        self.0.open(p, c)
    }
    fn close(&mut self, f: rnatsd_core::storage::FileId) {
        self.0.close(f)
    }
    fn read_at(&mut self, f: rnatsd_core::storage::FileId, o: u64, b: &mut [u8]) -> Result<usize, rnatsd_core::storage::StorageError> {
        self.0.read_at(f, o, b)
    }
    fn write_at(&mut self, f: rnatsd_core::storage::FileId, o: u64, b: &[u8]) -> Result<(), rnatsd_core::storage::StorageError> {
        self.0.write_at(f, o, b)
    }
    fn append(&mut self, f: rnatsd_core::storage::FileId, b: &[u8]) -> Result<u64, rnatsd_core::storage::StorageError> {
        self.0.append(f, b)
    }
    fn len(&mut self, f: rnatsd_core::storage::FileId) -> Result<u64, rnatsd_core::storage::StorageError> {
        self.0.len(f)
    }
    fn truncate(&mut self, f: rnatsd_core::storage::FileId, l: u64) -> Result<(), rnatsd_core::storage::StorageError> {
        self.0.truncate(f, l)
    }
    fn sync(&mut self, f: rnatsd_core::storage::FileId) -> Result<(), rnatsd_core::storage::StorageError> {
        self.0.sync(f)
    }
    fn rename(&mut self, a: &str, b: &str) -> Result<(), rnatsd_core::storage::StorageError> {
        self.0.rename(a, b)
    }
    fn remove(&mut self, p: &str) -> Result<(), rnatsd_core::storage::StorageError> {
        self.0.remove(p)
    }
    fn sync_dir(&mut self, p: &str) -> Result<(), rnatsd_core::storage::StorageError> {
        self.0.sync_dir(p)
    }
    fn list(&mut self, p: &str) -> Result<Vec<String>, rnatsd_core::storage::StorageError> {
        self.0.list(p)
    }
}

/// Crash safety of the atomic replace: with write and fsync errors and
/// torn unsynced sectors, a reopened store holds either the old or the new
/// JWT of an account (never a torn mix), and the new one whenever the save
/// reported success.
#[test]
fn dir_store_crash_keeps_old_or_new_jwt() {
    use rnatsd_io_sim::prng::Ratio;
    let c = TestChain::new(1, IAT).unwrap();
    let (k, old) = account_jwt(&c, 10, "old", IAT, 0);
    let (_, new) = account_jwt(&c, 10, "new-and-somewhat-longer-name", IAT + 1, 0);
    let mut outcomes = [0usize; 2];
    for seed in 0..60 {
        let mut d = SimDisk::new(seed, DiskConfig::perfect(), FaultAtlas::anywhere());
        let mut store = DirJwtStore::open(&mut d, DIR, DeleteType::NoDelete, 0).unwrap();
        store.save(&mut d, &k, &old).unwrap();
        let mut config = DiskConfig::perfect();
        config.sector_size = 64;
        config.torn_write = Ratio::ALWAYS;
        config.eio_write = Ratio::new(1, 4);
        config.eio_sync = Ratio::new(1, 4);
        d.set_config(config);
        let saved = store.save(&mut d, &k, &new).is_ok();
        d.crash();
        d.set_config(DiskConfig::perfect());
        let again = DirJwtStore::open(&mut d, DIR, DeleteType::NoDelete, 0).unwrap();
        let got = again.load(&k).expect("the account survives");
        assert!(got == old || got == new, "seed {seed}: torn JWT {got:?}");
        if saved {
            assert_eq!(got, new, "seed {seed}: a reported save was lost");
        }
        outcomes[usize::from(got == new)] += 1;
        // No temporary file is left behind after a reopen.
        assert!(files(&mut d).iter().all(|n| n.ends_with(".jwt")), "seed {seed}: {:?}", files(&mut d));
    }
    assert!(outcomes[0] > 0 && outcomes[1] > 0, "both outcomes exercised: {outcomes:?}");
}

/// Go: TestMergeOnlyOnNewer — save_if_newer keeps the newer `iat`.
#[test]
fn test_merge_only_on_newer() {
    let c = TestChain::new(1, IAT).unwrap();
    let mut d = disk();
    let mut store = DirJwtStore::open(&mut d, DIR, DeleteType::NoDelete, 0).unwrap();
    let (k, older) = account_jwt(&c, 10, "old", IAT, 0);
    let (_, newer) = account_jwt(&c, 10, "new", IAT + 2, 0);
    assert!(store.save(&mut d, &k, &older).unwrap());
    assert!(store.save_if_newer(&mut d, &k, &newer).unwrap());
    assert_eq!(store.load(&k), Some(newer.as_str()));
    assert!(!store.save_if_newer(&mut d, &k, &older).unwrap());
    assert_eq!(store.load(&k), Some(newer.as_str()));
    // Another account's JWT under this key is refused.
    let (_, other) = account_jwt(&c, 11, "x", IAT + 5, 0);
    let err = store.save_if_newer(&mut d, &k, &other).unwrap_err();
    assert_eq!(err.to_string(), "jwt subject nkey and provided nkey do not match");
}

/// Go: TestRemove — hard delete removes the file, rename-delete keeps a
/// `.jwt.deleted`, no-delete refuses.
#[test]
fn test_remove() {
    let c = TestChain::new(1, IAT).unwrap();
    for (dt, jwt_files, moved) in
        [(DeleteType::HardDelete, 0, 0), (DeleteType::RenameDeleted, 0, 1), (DeleteType::NoDelete, 1, 0)]
    {
        let mut d = disk();
        let mut store = DirJwtStore::open(&mut d, DIR, dt, 10).unwrap();
        let (k, j) = account_jwt(&c, 10, "a", IAT, 0);
        store.save(&mut d, &k, &j).unwrap();
        let res = store.delete(&mut d, &k);
        assert_eq!(res.is_ok(), dt != DeleteType::NoDelete, "{dt:?}");
        let names = files(&mut d);
        assert_eq!(names.iter().filter(|n| n.ends_with(".jwt")).count(), jwt_files, "{dt:?}");
        assert_eq!(names.iter().filter(|n| n.ends_with(".jwt.deleted")).count(), moved, "{dt:?}");
        assert_eq!(store.load(&k).is_some(), dt == DeleteType::NoDelete);
        // A reopen does not bring a deleted JWT back.
        let again = DirJwtStore::open(&mut d, DIR, dt, 10).unwrap();
        assert_eq!(again.len(), jwt_files);
    }
}

/// Go: TestLimitNoEvict — a full store refuses new keys (the hash is
/// unchanged); once one expires there is room again.
#[test]
fn test_limit_no_evict() {
    let c = TestChain::new(1, IAT).unwrap();
    let mut d = disk();
    let mut store = DirJwtStore::open(&mut d, DIR, DeleteType::NoDelete, 2).unwrap();
    let (k1, j1) = account_jwt(&c, 10, "a", IAT, IAT + 100);
    let (k2, j2) = account_jwt(&c, 11, "b", IAT, IAT + 1);
    let (k3, j3) = account_jwt(&c, 12, "c", IAT, 0);
    store.save(&mut d, &k1, &j1).unwrap();
    store.save(&mut d, &k2, &j2).unwrap();
    let before = store.hash();
    assert_eq!(store.save(&mut d, &k3, &j3).unwrap_err().to_string(), "jwt store is full");
    assert_eq!(store.hash(), before);
    assert!(!files(&mut d).contains(&format!("{k3}.jwt")));
    // Updating an existing key is allowed when full.
    let (_, j1b) = account_jwt(&c, 10, "a2", IAT + 1, IAT + 100);
    assert!(store.save(&mut d, &k1, &j1b).unwrap());
    assert_eq!(store.expire(&mut d, IAT + 1).unwrap(), vec![k2.clone()]);
    store.save(&mut d, &k3, &j3).unwrap();
    assert_eq!(store.len(), 2);
    assert!(files(&mut d).contains(&format!("{k3}.jwt")));
}

/// Go: TestExpiration — expired JWTs leave the store and the disk, and
/// the hash follows.
#[test]
fn test_expiration() {
    let c = TestChain::new(1, IAT).unwrap();
    let mut d = disk();
    let mut store = DirJwtStore::open(&mut d, DIR, DeleteType::NoDelete, 0).unwrap();
    let empty = store.hash();
    let (k1, j1) = account_jwt(&c, 10, "a", IAT, IAT + 10);
    store.save(&mut d, &k1, &j1).unwrap();
    let one = store.hash();
    let (k2, j2) = account_jwt(&c, 11, "b", IAT, IAT + 20);
    store.save(&mut d, &k2, &j2).unwrap();
    assert!(store.expire(&mut d, IAT + 5).unwrap().is_empty());
    assert_eq!(store.expire(&mut d, IAT + 20).unwrap().len(), 2);
    assert_eq!(store.hash(), empty);
    assert!(files(&mut d).is_empty());
    store.save(&mut d, &k1, &j1).unwrap();
    assert_eq!(store.hash(), one);
    // Expired JWTs are not packed.
    assert!(store.pack_walk(1, IAT + 11).is_empty());
    assert_eq!(store.pack_walk(1, IAT).len(), 1);
}

/// Go: TestShardedDirStorePackMerge (unsharded) — two stores converge
/// through PACK request/response messages and end with equal hashes.
#[test]
fn test_dir_store_pack_merge() {
    let c = TestChain::new(1, IAT).unwrap();
    let t = trusted(&c);
    let (mut d1, mut d2) = (disk(), disk());
    let s1 = DirJwtStore::open(&mut d1, DIR, DeleteType::NoDelete, 0).unwrap();
    let s2 = DirJwtStore::open(&mut d2, DIR, DeleteType::NoDelete, 0).unwrap();
    let mut r1 = DirAccResolver::new(s1, t.clone()).unwrap();
    let mut r2 = DirAccResolver::new(s2, t).unwrap();
    for n in 10..13 {
        let (k, j) = account_jwt(&c, n, "a", IAT, 0);
        r1.store_jwt(&mut d1, &k, &j).unwrap();
    }
    let (k, j) = account_jwt(&c, 20, "z", IAT, 0);
    r2.store_jwt(&mut d2, &k, &j).unwrap();
    for (from, to, dto) in [(&r1, &mut r2, &mut d2)] {
        let msgs = from.handle_pack_request(&to.store.hash(), IAT);
        assert_eq!(msgs.len(), 4, "three JWTs and the terminator");
        assert!(msgs.last().unwrap().is_empty());
        for m in msgs {
            to.handle_pack_response(dto, &m).unwrap();
        }
    }
    let msgs = r2.handle_pack_request(&r1.store.hash(), IAT);
    for m in msgs {
        r1.handle_pack_response(&mut d1, &m).unwrap();
    }
    assert_eq!(r1.store.hash(), r2.store.hash());
    assert_eq!(r1.store.len(), 4);
    // Equal hashes: only the terminator.
    assert_eq!(r1.handle_pack_request(&r2.store.hash(), IAT), vec![Vec::<u8>::new()]);
    // A bad pack line is an error.
    assert!(r1.handle_pack_response(&mut d1, b"nopipe").is_err());
}

fn trusted(c: &TestChain) -> TrustedOperators {
    TrustedOperators::new(vec![decode_operator_claims(&c.operator_jwt).unwrap()], None).unwrap()
}

fn json(b: &[u8]) -> serde_json::Value {
    serde_json::from_slice(b).unwrap()
}

/// Go: the DirAccResolver update handlers and TestJWTAccountNATSResolverFetch's
/// lookups — `$SYS.REQ.ACCOUNT.<acc>.CLAIMS.UPDATE`, `$SYS.REQ.CLAIMS.UPDATE`,
/// `...CLAIMS.LOOKUP` and `$SYS.REQ.CLAIMS.LIST` with Go's reply JSON.
#[test]
fn test_jwt_account_nats_resolver_update_and_lookup() {
    let c = TestChain::new(1, IAT).unwrap();
    let mut d = disk();
    let store = DirJwtStore::open(&mut d, DIR, DeleteType::NoDelete, 0).unwrap();
    let mut r = DirAccResolver::new(store, trusted(&c)).unwrap();
    let server = serde_json::json!({"name": "S1", "id": "NID"});
    let (k, j) = account_jwt(&c, 10, "a", IAT, 0);

    let subj = format!("$SYS.REQ.ACCOUNT.{k}.CLAIMS.UPDATE");
    let out = r.handle_account_update(&mut d, &subj, j.as_bytes()).unwrap();
    assert_eq!(out.changed, vec![k.clone()]);
    let body = json(&out.response.to_json(&server));
    assert_eq!(body["data"]["code"], 200);
    assert_eq!(body["data"]["message"], "jwt updated");
    assert_eq!(body["data"]["account"], k.as_str());
    assert_eq!(body["server"]["name"], "S1");
    assert!(body.get("error").is_none());

    // The JWT does not belong to the account in the subject.
    let (k2, j2) = account_jwt(&c, 11, "b", IAT, 0);
    let out = r.handle_account_update(&mut d, &subj, j2.as_bytes()).unwrap();
    let body = json(&out.response.to_json(&server));
    assert_eq!(body["error"]["code"], 500);
    assert_eq!(body["error"]["description"], "jwt update resulted in error - subject does not match jwt content");
    // Garbage.
    let out = r.handle_claims_update(&mut d, b"garbage");
    let body = json(&out.response.to_json(&server));
    assert_eq!(body["error"]["account"], "n/a");
    // Signed by an operator we do not trust.
    let other = TestChain::new(2, IAT).unwrap();
    let out = r.handle_claims_update(&mut d, other.account_jwt.as_bytes());
    assert!(!out.response.is_ok());
    assert!(out.changed.is_empty());
    // $SYS.REQ.CLAIMS.UPDATE takes the account from the JWT.
    let out = r.handle_claims_update(&mut d, j2.as_bytes());
    assert!(out.response.is_ok());
    assert_eq!(out.changed, vec![k2.clone()]);
    // Old-style subject and bad subjects.
    assert!(r.handle_account_update(&mut d, &format!("$SYS.ACCOUNT.{k}.CLAIMS.UPDATE"), j.as_bytes()).is_some());
    assert!(r.handle_account_update(&mut d, "$SYS.REQ.CLAIMS", j.as_bytes()).is_none());

    assert_eq!(r.handle_lookup(&format!("$SYS.REQ.ACCOUNT.{k}.CLAIMS.LOOKUP")), Some(j.clone().into_bytes()));
    let unknown = test_key(TestKeyKind::Account, 99).public_key();
    assert_eq!(r.handle_lookup(&format!("$SYS.REQ.ACCOUNT.{unknown}.CLAIMS.LOOKUP")), Some(Vec::new()));
    assert_eq!(r.handle_lookup("$SYS.REQ.ACCOUNT.LOOKUP"), None);
    assert_eq!(r.fetch(&k), Ok(j.as_str()));
    assert_eq!(r.fetch(&unknown), Err(ResolverError::MissingAccount));

    let list = json(&r.handle_list(&server));
    let mut want = vec![k.clone(), k2.clone()];
    want.sort();
    assert_eq!(list["data"], serde_json::json!(want));
}

/// Go: handleDeleteRequest — a generic JWT self-signed by the operator
/// lists the accounts to delete; the system account cannot be deleted.
#[test]
fn test_jwt_account_nats_resolver_delete() {
    let c = TestChain::new(1, IAT).unwrap();
    let mut d = disk();
    let (k, j) = account_jwt(&c, 10, "a", IAT, 0);
    let (sys, sys_jwt) = account_jwt(&c, 11, "sys", IAT, 0);
    let delete_req = |accounts: Vec<&str>, kp: &nkeys::KeyPair| {
        let mut g = GenericClaims::default();
        g.claims.subject = kp.public_key();
        g.data.insert("accounts".into(), serde_json::json!(accounts));
        encode_generic(&mut g, kp, IAT).unwrap()
    };
    let server = serde_json::json!({});

    let store = DirJwtStore::open(&mut d, DIR, DeleteType::NoDelete, 0).unwrap();
    let mut r = DirAccResolver::new(store, trusted(&c)).unwrap();
    r.store_jwt(&mut d, &k, &j).unwrap();
    let out = r.handle_delete(&mut d, delete_req(vec![&k], &c.operator).as_bytes(), &sys);
    let body = json(&out.response.to_json(&server));
    assert_eq!(
        body["error"]["description"],
        format!("delete accounts request by {} failed - delete must be enabled in server config", c.operator.public_key())
    );

    let store = DirJwtStore::open(&mut d, DIR, DeleteType::HardDelete, 0).unwrap();
    let mut r = DirAccResolver::new(store, trusted(&c)).unwrap();
    r.store_jwt(&mut d, &sys, &sys_jwt).unwrap();
    let out = r.handle_delete(&mut d, delete_req(vec![&k, &sys], &c.operator).as_bytes(), &sys);
    assert!(json(&out.response.to_json(&server))["error"]["description"]
        .as_str()
        .unwrap()
        .ends_with("not allowed to delete system account"));
    // Not signed by the operator.
    let out = r.handle_delete(&mut d, delete_req(vec![&k], &c.account).as_bytes(), &sys);
    assert!(!out.response.is_ok());
    let out = r.handle_delete(&mut d, delete_req(vec![&k], &c.operator).as_bytes(), &sys);
    assert_eq!(json(&out.response.to_json(&server))["data"]["message"], "deleted 1 accounts");
    assert_eq!(out.deleted, vec![k.clone()]);
    assert!(r.store.load(&k).is_none());
}

/// Go's `configureResolver` preload step for `resolver: MEMORY`.
#[test]
fn test_mem_resolver_preload() {
    let c = TestChain::new(1, IAT).unwrap();
    let mut r = MemAccResolver::new();
    let k = c.account.public_key();
    r.preload([(k.as_str(), c.account_jwt.as_str())]).unwrap();
    assert_eq!(r.fetch(&k), Ok(c.account_jwt.as_str()));
    assert_eq!(r.fetch("nope"), Err(ResolverError::InvalidAccountKey));
    let other = test_key(TestKeyKind::Account, 42).public_key();
    assert_eq!(r.fetch(&other), Err(ResolverError::MissingAccount));
    assert!(r.preload([(other.as_str(), "not-a-jwt")]).is_err());
}

// ---- config ---------------------------------------------------------------

fn conf(text: &str, files: &[(&str, &str)]) -> Result<OperatorConfig, Vec<String>> {
    let env = |_: &str| None;
    let mut include = |_: &str| -> Result<(String, String), String> { Err("no includes".to_string()) };
    let map = parse(text, "test.conf", &env, &mut include).map_err(|e| vec![e.to_string()])?;
    let mut read = |name: &str| {
        files.iter().find(|(n, _)| *n == name).map(|(_, c)| c.to_string()).ok_or_else(|| format!("open {name}: no such file"))
    };
    parse_operator_config(&map, &mut read).map_err(|e| e.iter().map(|e| e.to_string()).collect())
}

/// Go: TestJWTAccountNATSResolverFetch's config shape — inline operator,
/// `system_account`, `resolver {type: full ...}` and `resolver_preload`.
#[test]
fn test_operator_config_full_resolver() {
    let c = TestChain::new(1, IAT).unwrap();
    let (sys, sys_jwt) = account_jwt(&c, 11, "sys", IAT, 0);
    let text = format!(
        "operator: \"{}\"\nsystem_account: {sys}\nresolver: {{\n type: full\n dir: './jwt'\n allow_delete: true\n interval: \"2s\"\n limit: 1000\n}}\nresolver_preload: {{\n {sys}: \"{sys_jwt}\"\n}}\n",
        c.operator_jwt
    );
    let cfg = conf(&text, &[]).unwrap();
    assert!(cfg.is_operator_mode());
    assert_eq!(cfg.operators[0].1.claims.subject, c.operator.public_key());
    assert_eq!(cfg.system_account.as_deref(), Some(sys.as_str()));
    assert_eq!(
        cfg.resolver,
        Some(ResolverConfig::Full {
            dir: "./jwt".into(),
            allow_delete: true,
            hard_delete: false,
            limit: 1000,
            interval_nanos: 2_000_000_000,
            timeout_nanos: 0
        })
    );
    assert_eq!(cfg.resolver_preload, vec![(sys.clone(), sys_jwt)]);
    let t = cfg.trusted_operators().unwrap();
    assert!(t.is_trusted_issuer(&c.operator.public_key()));
}

/// `configure_resolver` builds the full resolver in the storage root and
/// stores the preloads; a reopen finds them on disk.
#[test]
fn test_configure_resolver_full_with_preload() {
    use rnatsd_core::jwt::resolver::{configure_resolver, AccountResolver};
    let c = TestChain::new(1, IAT).unwrap();
    let (sys, sys_jwt) = account_jwt(&c, 11, "sys", IAT, 0);
    let text = format!(
        "operator: \"{}\"\nsystem_account: {sys}\nresolver: {{type: full, dir: x, allow_delete: true}}\n\
         resolver_preload: {{ {sys}: \"{sys_jwt}\" }}\n",
        c.operator_jwt
    );
    let cfg = conf(&text, &[]).unwrap();
    let t = cfg.trusted_operators().unwrap();
    let mut d = disk();
    let mut r = configure_resolver(&cfg, &t, &mut d).unwrap();
    assert!(r.is_tracking_update());
    assert_eq!(r.fetch(&sys), Ok(sys_jwt.as_str()));
    assert_eq!(d.list("").unwrap(), vec![format!("{sys}.jwt")]);
    let dir = r.dir().unwrap();
    assert_eq!(dir.store.delete_type(), DeleteType::RenameDeleted);
    let again = DirJwtStore::open(&mut d, "", DeleteType::NoDelete, 0).unwrap();
    assert_eq!(again.load(&sys), Some(sys_jwt.as_str()));
    // MEMORY, and an unsupported URL resolver.
    let cfg = conf(&format!("operator: \"{}\"\nresolver: MEMORY\nresolver_preload: {{ {sys}: \"{sys_jwt}\" }}\n", c.operator_jwt), &[]).unwrap();
    let r = configure_resolver(&cfg, &t, &mut d).unwrap();
    assert!(matches!(r, AccountResolver::Memory(_)));
    assert_eq!(r.fetch(&sys), Ok(sys_jwt.as_str()));
    let cfg = conf(&format!("operator: \"{}\"\nresolver: URL(\"http://127.0.0.1:1/jwt/v1\")\n", c.operator_jwt), &[]).unwrap();
    assert!(configure_resolver(&cfg, &t, &mut d).unwrap_err().contains("not supported"));
}

/// `operator` as a (decorated) file read through the callback, and
/// `resolver: MEMORY`; the operator's system account is taken over.
#[test]
fn test_operator_config_file_and_memory() {
    let opk = test_key(TestKeyKind::Operator, 3);
    let sys = test_key(TestKeyKind::Account, 3).public_key();
    let mut oc = rnatsd_core::jwt::claims::OperatorClaims::default();
    oc.claims.subject = opk.public_key();
    oc.nats.system_account = sys.clone();
    let op_jwt = rnatsd_core::jwt::encode::encode_operator(&mut oc, &opk, IAT).unwrap();
    let file = rnatsd_core::jwt::creds::decorate_jwt("operator", &op_jwt);
    let cfg = conf("operator: /etc/op.jwt\nresolver: MEMORY\n", &[("/etc/op.jwt", &file)]).unwrap();
    assert_eq!(cfg.operators[0].0, op_jwt);
    assert_eq!(cfg.resolver, Some(ResolverConfig::Memory));
    assert_eq!(cfg.system_account.as_deref(), Some(sys.as_str()));
    assert!(cfg.trusted_operators().is_ok());
    // A system_account different from the operator's is refused.
    let other = test_key(TestKeyKind::Account, 4).public_key();
    let cfg = conf(&format!("operator: /etc/op.jwt\nresolver: MEM\nsystem_account: {other}\n"), &[("/etc/op.jwt", &file)]).unwrap();
    assert_eq!(cfg.trusted_operators().unwrap_err(), "system_account in config and operator JWT must be identical");
}

/// Config errors with Go's texts.
#[test]
fn test_operator_config_errors() {
    let c = TestChain::new(1, IAT).unwrap();
    let op = &c.operator_jwt;
    let errs = conf("operator: /missing.jwt\n", &[]).unwrap_err();
    assert!(errs[0].contains("error parsing operator JWT: open /missing.jwt"), "{errs:?}");
    let errs = conf(&format!("operator: \"{op}\"\nresolver: {{type: full}}\n"), &[]).unwrap_err();
    assert!(errs[0].contains("dir has no value"), "{errs:?}");
    let errs = conf(&format!("operator: \"{op}\"\nresolver: {{type: full, dir: x, ttl: \"1s\"}}\n"), &[]).unwrap_err();
    assert!(errs[0].contains("FULL does not accept ttl"), "{errs:?}");
    let errs = conf(&format!("operator: \"{op}\"\nresolver: {{type: cache, dir: x, allow_delete: true}}\n"), &[]).unwrap_err();
    assert!(errs[0].contains("CACHE does not accept allow_delete"), "{errs:?}");
    let errs = conf("resolver: BOGUS\n", &[]).unwrap_err();
    assert!(errs[0].contains("error parsing account resolver"), "{errs:?}");
    let errs = conf("resolver_preload: { AABC: \"nope\" }\n", &[]).unwrap_err();
    assert!(errs[0].contains("invalid account JWT"), "{errs:?}");
    let errs = conf("resolver_pinned_accounts: [\n  1\n]\nport: 1\n", &[]).unwrap_err();
    assert!(errs[0].contains("unsupported type in array int64"), "{errs:?}");
    // An operator without a resolver.
    let cfg = conf(&format!("operator: \"{op}\"\n"), &[]).unwrap();
    assert_eq!(cfg.trusted_operators().unwrap_err(), "operators require an account resolver to be configured");
    // A full resolver needs a system account.
    let cfg = conf(&format!("operator: \"{op}\"\nresolver: {{type: full, dir: x}}\n"), &[]).unwrap();
    assert!(cfg.trusted_operators().unwrap_err().contains("the system account needs to be specified"));
}
