//! A short run of each task decoder fuzz target (`fuzz/fuzz_targets/`, driven by
//! `genai_cloudflare::decode::fuzz_task`) in the normal test suite: every file of its corpus
//! (`fuzz/corpus/<target>/`, our seeds and what the fuzzer grew), then arbitrary bytes and
//! mutated corpus files. A decoder that panics, or a success that breaks what the client
//! promises, fails the test; cargo-fuzz runs the same targets for longer.

use std::path::PathBuf;

use genai_cloudflare::decode::{fuzz_task, TASK_TARGETS};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    files.iter().map(|f| std::fs::read(f).unwrap()).collect()
}

#[test]
fn every_task_target_has_seeds_and_runs_them_all() {
    for target in TASK_TARGETS {
        let inputs = corpus(target);
        assert!(inputs.len() >= 4, "{target}: {} inputs", inputs.len());
        for input in &inputs {
            assert!(fuzz_task(target, input), "{target} is not a target");
        }
    }
    assert!(!fuzz_task("no_such_target", b"\0{}"));
}

#[test]
fn task_targets_hold_on_arbitrary_and_mutated_replies() {
    for target in TASK_TARGETS {
        let seeds = corpus(target);
        let mut runner = TestRunner::new(Config {
            cases: 200,
            failure_persistence: None,
            ..Config::default()
        });
        let mutated = (
            0..seeds.len(),
            proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
            any::<prop::sample::Index>(),
        );
        runner
            .run(&mutated, |(pick, edits, cut)| {
                let mut input = seeds[pick].clone();
                for (at, byte) in edits {
                    if !input.is_empty() {
                        let i = at.index(input.len());
                        input[i] = byte;
                    }
                }
                let keep = cut.index(input.len() + 1);
                input.truncate(keep.max(input.len().saturating_sub(8)));
                fuzz_task(target, &input);
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{target}: {e}"));
        runner
            .run(&proptest::collection::vec(any::<u8>(), 0..256), |input| {
                fuzz_task(target, &input);
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{target}: {e}"));
    }
}
