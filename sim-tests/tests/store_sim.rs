//! The file store under io-sim's disk faults and crashes (see
//! `rnatsd_sim_tests::store_sim` for the checker's rules).

use rnatsd_sim_tests::store_sim::{run_store_seed, DAMAGE_FAULTS};

#[test]
fn store_survives_crashes_and_disk_faults() {
    let mut damaging_runs = 0;
    let mut fired = [0u64; DAMAGE_FAULTS.len()];
    let mut durable = 0;
    let (mut encrypted, mut compressed) = (0, 0);
    let (mut buffered, mut split) = (0, 0);
    let (mut split_finished, mut split_abandoned) = (0, 0);
    // STORE_SIM_SEEDS=a..b widens the batch (default 0..40).
    let seeds = std::env::var("STORE_SIM_SEEDS")
        .ok()
        .and_then(|v| {
            let (a, b) = v.split_once("..")?;
            Some(a.parse::<u64>().ok()?..b.parse::<u64>().ok()?)
        })
        .unwrap_or(0..40);
    for seed in seeds {
        let r = run_store_seed(seed);
        encrypted += u32::from(!r.params.contains("cipher=None"));
        compressed += u32::from(r.params.contains("compression=S2"));
        buffered += u32::from(!r.params.contains("buffer=None"));
        split += u32::from(r.params.contains("split=true"));
        assert!(
            r.ok(),
            "seed {seed} ({}):\n{}\nreplay: STORE_SIM_SEEDS={seed}..{} cargo test -p rnatsd-sim-tests --test store_sim",
            r.params,
            r.violations.join("\n"),
            seed + 1
        );
        durable += r.durable;
        split_finished += r.split_finished;
        split_abandoned += r.split_abandoned;
        if r.damaging {
            damaging_runs += 1;
            for (i, k) in DAMAGE_FAULTS.iter().enumerate() {
                fired[i] += r.counters.get(*k);
            }
        }
    }
    eprintln!(
        "store_sim: {durable} made durable, {damaging_runs} damaging seeds, {buffered} buffered, {split} split-phase \
         ({split_finished} finished, {split_abandoned} cut short by a crash)"
    );
    assert!(durable > 1000, "the workload made messages durable: {durable}");
    assert!(damaging_runs > 5, "some seeds damage the disk");
    assert!(encrypted > 5 && compressed > 5, "permutations: {encrypted} encrypted, {compressed} compressed");
    assert!(buffered > 5 && split > 5, "write buffer in {buffered} seeds, split-phase flush in {split}");
    assert!(
        split_finished > 100 && split_abandoned > 5,
        "split-phase flushes: {split_finished} finished, {split_abandoned} cut short by a crash"
    );
    for (i, k) in DAMAGE_FAULTS.iter().enumerate() {
        assert!(fired[i] > 0, "fault {k:?} never fired across the batch");
    }
}
