use super::*;

fn perfect() -> SimDisk {
    SimDisk::new(1, DiskConfig::perfect(), FaultAtlas::anywhere())
}

fn read_all(d: &mut SimDisk, path: &str) -> Vec<u8> {
    let f = d.open(path, false).unwrap();
    let len = d.len(f).unwrap();
    let mut buf = vec![0; len as usize];
    assert_eq!(d.read_at(f, 0, &mut buf).unwrap(), len as usize);
    d.close(f);
    buf
}

#[test]
fn unsynced_data_is_lost_synced_is_kept() {
    let mut d = perfect();
    let f = d.open("s/1.blk", true).unwrap();
    d.append(f, b"hello").unwrap();
    d.sync(f).unwrap();
    d.sync_dir("s").unwrap();
    d.append(f, b" world").unwrap();
    assert_eq!(read_all(&mut d, "s/1.blk"), b"hello world");
    d.crash();
    assert_eq!(read_all(&mut d, "s/1.blk"), b"hello");
}

#[test]
fn never_synced_directory_entry_vanishes() {
    let mut d = perfect();
    let f = d.open("a/new", true).unwrap();
    d.append(f, b"data").unwrap();
    d.sync(f).unwrap(); // contents synced, entry not
    d.crash();
    assert_eq!(
        d.open("a/new", false).unwrap_err().kind,
        StorageErrorKind::NotFound
    );
    assert_eq!(d.list("a").unwrap(), Vec::<String>::new());
}

#[test]
fn rename_is_durable_only_after_sync_dir() {
    let mut d = perfect();
    let f = d.open("d/x", true).unwrap();
    d.write_at(f, 0, b"old").unwrap();
    d.sync(f).unwrap();
    d.sync_dir("d").unwrap();
    let t = d.open("d/x.tmp", true).unwrap();
    d.write_at(t, 0, b"new").unwrap();
    d.sync(t).unwrap();
    d.rename("d/x.tmp", "d/x").unwrap();
    assert_eq!(read_all(&mut d, "d/x"), b"new");
    d.crash();
    assert_eq!(read_all(&mut d, "d/x"), b"old");
    assert!(d.open("d/x.tmp", false).is_err());

    let t = d.open("d/x.tmp", true).unwrap();
    d.write_at(t, 0, b"new").unwrap();
    d.sync(t).unwrap();
    d.rename("d/x.tmp", "d/x").unwrap();
    d.sync_dir("d").unwrap();
    d.crash();
    assert_eq!(read_all(&mut d, "d/x"), b"new");
    assert_eq!(d.list("d").unwrap(), vec!["x".to_string()]);
}

#[test]
fn remove_is_undone_by_crash_before_sync_dir() {
    let mut d = perfect();
    let f = d.open("k", true).unwrap();
    d.append(f, b"1").unwrap();
    d.sync(f).unwrap();
    d.sync_dir("").unwrap();
    d.close(f);
    d.remove("k").unwrap();
    assert!(d.open("k", false).is_err());
    d.crash();
    assert_eq!(read_all(&mut d, "k"), b"1");
    d.remove("k").unwrap();
    d.sync_dir("").unwrap();
    d.crash();
    assert!(d.open("k", false).is_err());
}

#[test]
fn handles_die_with_the_crash() {
    let mut d = perfect();
    let f = d.open("k", true).unwrap();
    d.crash();
    assert_eq!(d.len(f).unwrap_err().kind, StorageErrorKind::BadHandle);
}

#[test]
fn list_shows_files_and_subdirs() {
    let mut d = perfect();
    for p in ["a/1", "a/2", "a/b/3", "c"] {
        d.open(p, true).unwrap();
    }
    assert_eq!(d.list("a").unwrap(), vec!["1", "2", "b/"]);
    assert_eq!(d.list("").unwrap(), vec!["a/", "c"]);
    assert_eq!(d.list("zz").unwrap(), Vec::<String>::new());
}

#[test]
fn torn_writes_only_at_sector_boundaries() {
    let sector = 512usize;
    for seed in 0..200 {
        let mut p = Prng::from_seed(seed);
        let old_len = p.below(4 * sector as u64) as usize;
        let new_len = p.below(6 * sector as u64) as usize;
        let old: Vec<u8> = (0..old_len).map(|_| 1).collect();
        let new: Vec<u8> = (0..new_len).map(|_| 2).collect();
        let torn = tear(&old, &new, sector as u64, &mut p);
        assert!(torn.len() >= old_len.min(new_len) && torn.len() <= old_len.max(new_len));
        for (i, chunk) in torn.chunks(sector).enumerate() {
            let base = i * sector;
            let from = |img: &[u8]| -> Vec<u8> {
                (0..chunk.len())
                    .map(|k| img.get(base + k).copied().unwrap_or(0))
                    .collect()
            };
            assert!(
                chunk == from(&old) || chunk == from(&new),
                "seed {seed} sector {i}"
            );
        }
    }
}

#[test]
fn torn_write_crash_mixes_whole_sectors() {
    let mut cfg = DiskConfig::perfect();
    cfg.torn_write = Ratio::ALWAYS;
    let mut seen_mix = false;
    for seed in 0..40 {
        let mut d = SimDisk::new(seed, cfg.clone(), FaultAtlas::anywhere());
        let f = d.open("f", true).unwrap();
        d.write_at(f, 0, &[1u8; 2048]).unwrap();
        d.sync(f).unwrap();
        d.sync_dir("").unwrap();
        d.write_at(f, 0, &[2u8; 2048]).unwrap();
        d.crash();
        let img = read_all(&mut d, "f");
        assert_eq!(img.len(), 2048);
        let kinds: BTreeSet<u8> = img
            .chunks(512)
            .map(|c| {
                assert!(c.iter().all(|b| *b == c[0]), "partial sector");
                c[0]
            })
            .collect();
        seen_mix |= kinds.len() == 2;
        assert_eq!(d.counters().get(FaultKind::DiskTornWrite), 1);
    }
    assert!(seen_mix);
}

#[test]
fn atlas_protects_files_from_damage() {
    let mut cfg = DiskConfig::perfect();
    cfg.torn_write = Ratio::ALWAYS;
    cfg.truncation = Ratio::ALWAYS;
    cfg.bit_flip_on_read = Ratio::ALWAYS;
    let mut atlas = FaultAtlas::anywhere();
    atlas.protect = vec!["safe".into()];
    let mut d = SimDisk::new(5, cfg, atlas);
    for p in ["safe", "open"] {
        let f = d.open(p, true).unwrap();
        d.write_at(f, 0, &[7u8; 1000]).unwrap();
        d.sync(f).unwrap();
        d.write_at(f, 1000, &[8u8; 1000]).unwrap();
    }
    d.sync_dir("").unwrap();
    d.crash();
    assert_eq!(read_all(&mut d, "safe"), vec![7u8; 1000]);
    let damaged = read_all(&mut d, "open");
    assert!(damaged.len() < 1000 || damaged != vec![7u8; 1000]);
    assert!(d.counters().get(FaultKind::DiskTruncation) >= 1);
}

#[test]
fn errors_are_injected_and_counted() {
    let mut cfg = DiskConfig::perfect();
    cfg.eio_sync = Ratio::ALWAYS;
    cfg.capacity = 100;
    let mut d = SimDisk::new(1, cfg, FaultAtlas::pristine());
    let f = d.open("f", true).unwrap();
    assert_eq!(
        d.append(f, &[0; 101]).unwrap_err().kind,
        StorageErrorKind::Enospc
    );
    d.append(f, &[0; 100]).unwrap();
    assert_eq!(d.sync(f).unwrap_err().kind, StorageErrorKind::Eio);
    assert_eq!(d.counters().get(FaultKind::DiskEioSync), 1);
    assert_eq!(d.counters().get(FaultKind::DiskEnospc), 1);
}

#[test]
fn lost_and_misdirected_writes() {
    let mut cfg = DiskConfig::perfect();
    cfg.lost_write = Ratio::ALWAYS;
    let mut d = SimDisk::new(1, cfg.clone(), FaultAtlas::anywhere());
    let f = d.open("f", true).unwrap();
    d.write_at(f, 0, b"abc").unwrap();
    assert_eq!(d.len(f).unwrap(), 0);
    assert_eq!(d.counters().get(FaultKind::DiskLostWrite), 1);

    cfg.lost_write = Ratio::NEVER;
    cfg.misdirected_write = Ratio::ALWAYS;
    let mut d = SimDisk::new(2, cfg, FaultAtlas::anywhere());
    let f = d.open("f", true).unwrap();
    d.write_at(f, 0, &[0u8; 8192]).unwrap();
    let before = d.counters().get(FaultKind::DiskMisdirectedWrite);
    d.write_at(f, 4096, &[9u8; 16]).unwrap();
    let img = d.volatile_contents("f").unwrap();
    if d.counters().get(FaultKind::DiskMisdirectedWrite) > before {
        assert_eq!(&img[4096..4112], &[0u8; 16]);
        assert_eq!(img.iter().filter(|b| **b == 9).count(), 16);
    }
}

#[test]
fn stale_rollback_restores_old_sector() {
    let mut cfg = DiskConfig::perfect();
    cfg.stale_rollback = Ratio::ALWAYS;
    let mut d = SimDisk::new(3, cfg, FaultAtlas::anywhere());
    let f = d.open("f", true).unwrap();
    d.write_at(f, 0, &[1u8; 512]).unwrap();
    d.sync(f).unwrap();
    d.write_at(f, 0, &[2u8; 512]).unwrap();
    d.sync(f).unwrap();
    d.sync_dir("").unwrap();
    d.crash();
    assert_eq!(read_all(&mut d, "f"), vec![1u8; 512]);
    assert_eq!(d.counters().get(FaultKind::DiskStaleRollback), 1);
}

#[test]
fn same_seed_same_faults() {
    let run = |seed| {
        let mut cfg = DiskConfig::perfect();
        cfg.torn_write = Ratio::new(1, 2);
        cfg.bit_flip_on_read = Ratio::new(1, 3);
        cfg.bit_flip_at_rest = Ratio::new(1, 2);
        let mut d = SimDisk::new(seed, cfg, FaultAtlas::anywhere());
        let f = d.open("f", true).unwrap();
        let mut out = Vec::new();
        for i in 0..20u8 {
            d.append(f, &[i; 700]).unwrap();
            if i % 3 == 0 {
                d.sync(f).unwrap();
                d.sync_dir("").unwrap();
            }
            d.tick();
            let mut buf = [0u8; 64];
            d.read_at(f, i as u64 * 10, &mut buf).unwrap();
            out.extend_from_slice(&buf);
        }
        d.crash();
        out.extend_from_slice(d.durable_contents("f").unwrap());
        (out, d.counters().clone())
    };
    assert_eq!(run(11), run(11));
    assert_ne!(run(11).0, run(12).0);
}
