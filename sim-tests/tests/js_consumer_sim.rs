//! A workqueue consumer under crashes, disk faults and clock skew (see
//! `rnatsd_sim_tests::js_consumer_sim`).

use rnatsd_sim_tests::js_consumer_sim::run_consumer_seed;

#[test]
fn workqueue_consumer_survives_crashes_faults_and_skew() {
    let (mut deliveries, mut redeliveries, mut answered, mut crashes) = (0, 0, 0, 0);
    for seed in 0..5 {
        let r = run_consumer_seed(seed);
        assert!(
            r.ok(),
            "seed {seed} ({}): {}",
            r.params,
            r.violations.join("\n")
        );
        deliveries += r.deliveries;
        redeliveries += r.redeliveries;
        answered += r.answered_acks;
        crashes += r.crashes;
    }
    eprintln!(
        "deliveries={deliveries} redeliveries={redeliveries} answered={answered} crashes={crashes}"
    );
    assert!(deliveries > 100, "messages were delivered: {deliveries}");
    assert!(
        redeliveries > 5,
        "ack wait and naks redelivered: {redeliveries}"
    );
    assert!(answered > 20, "double acks were answered: {answered}");
    assert!(crashes > 5, "nodes crashed: {crashes}");
}

