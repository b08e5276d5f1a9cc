//! SPEC §2.5: the group-sync plan.

use std::collections::BTreeSet;

use lanyard_api::{GroupId, GroupMappings};
use lanyard_core::groups::{BuiltinGroups, SyncInput, SyncNote, plan};
use proptest::prelude::*;

const BUILTINS: BuiltinGroups = BuiltinGroups {
    all_users: 1,
    administrators: 2,
};

fn mappings(pairs: &[(&str, &[GroupId])]) -> GroupMappings {
    pairs
        .iter()
        .map(|(name, ids)| ((*name).to_owned(), ids.to_vec()))
        .collect()
}

fn run(
    current: &[GroupId],
    mappings: &GroupMappings,
    token: Option<&[&str]>,
    last_admin: bool,
) -> (Vec<GroupId>, Vec<GroupId>, Vec<SyncNote>) {
    let current: BTreeSet<GroupId> = current.iter().copied().collect();
    let token: Option<Vec<String>> = token.map(|t| t.iter().map(|s| (*s).to_owned()).collect());
    let plan = plan(SyncInput {
        current: &current,
        mappings,
        token_groups: token.as_deref(),
        builtins: BUILTINS,
        is_last_active_admin: last_admin,
    });
    (
        plan.add.into_iter().collect(),
        plan.remove.into_iter().collect(),
        plan.notes,
    )
}

#[test]
fn adds_wanted_and_removes_mapped_but_unwanted() {
    let m = mappings(&[
        ("analysts", &[10]),
        ("engineers", &[11, 12]),
        ("admins", &[2]),
    ]);
    // Member of 11 and 20 (20 is unmapped: never touched); the token says analysts.
    assert_eq!(
        run(&[1, 11, 20], &m, Some(&["analysts"]), false),
        (vec![10], vec![11], vec![])
    );
}

#[test]
fn one_jwt_group_may_map_to_several_groups() {
    let m = mappings(&[("eng", &[11, 12])]);
    assert_eq!(
        run(&[1], &m, Some(&["eng"]), false),
        (vec![11, 12], vec![], vec![])
    );
}

#[test]
fn an_absent_claim_changes_nothing_and_an_empty_one_removes_every_mapped_membership() {
    let m = mappings(&[("a", &[10]), ("b", &[11])]);
    assert_eq!(run(&[1, 10, 11], &m, None, false), (vec![], vec![], vec![]));
    assert_eq!(
        run(&[1, 10, 11, 20], &m, Some(&[]), false),
        (vec![], vec![10, 11], vec![])
    );
}

#[test]
fn group_names_are_case_sensitive_and_unknown_names_are_ignored() {
    let m = mappings(&[("Admins", &[2])]);
    assert_eq!(
        run(&[1], &m, Some(&["admins", "nobody"]), false),
        (vec![], vec![], vec![])
    );
}

#[test]
fn all_users_is_never_removed_even_when_mapped() {
    let m = mappings(&[("everyone", &[1]), ("a", &[10])]);
    assert_eq!(
        run(&[1, 10], &m, Some(&[]), false),
        (vec![], vec![10], vec![])
    );
}

#[test]
fn the_last_active_admin_stays_an_admin() {
    let m = mappings(&[("admins", &[2])]);
    assert_eq!(
        run(&[1, 2], &m, Some(&[]), true),
        (vec![], vec![], vec![SyncNote::KeptLastAdmin])
    );
    assert_eq!(
        run(&[1, 2], &m, Some(&[]), false),
        (vec![], vec![2], vec![])
    );
}

fn arb_mappings() -> impl Strategy<Value = GroupMappings> {
    prop::collection::btree_map("[a-d]{1,2}", prop::collection::vec(1..8i64, 0..3), 0..6)
}

proptest! {
    #[test]
    fn never_touches_unmapped_groups_nor_removes_all_users(
        current in prop::collection::btree_set(1..12i64, 0..8),
        m in arb_mappings(),
        token in prop::option::of(prop::collection::vec("[a-e]{1,2}", 0..5)),
        last_admin in any::<bool>(),
    ) {
        let plan = plan(SyncInput {
            current: &current,
            mappings: &m,
            token_groups: token.as_deref(),
            builtins: BUILTINS,
            is_last_active_admin: last_admin,
        });
        let mapped: BTreeSet<GroupId> = m.values().flatten().copied().collect();
        prop_assert!(plan.add.iter().chain(&plan.remove).all(|id| mapped.contains(id)));
        prop_assert!(!plan.remove.contains(&BUILTINS.all_users));
        prop_assert!(plan.add.is_disjoint(&plan.remove));
        prop_assert!(plan.add.is_disjoint(&current), "adds only what is missing");
        prop_assert!(plan.remove.is_subset(&current), "removes only what is there");
        if last_admin {
            prop_assert!(!plan.remove.contains(&BUILTINS.administrators));
        }
        if token.is_none() {
            prop_assert!(plan.is_empty());
        }
    }
}

#[test]
fn a_mappings_diff_names_what_was_added_changed_and_removed() {
    use lanyard_core::groups::diff_mappings;
    let before = mappings(&[
        ("eng", &[3]),
        ("fin", &[4, 5]),
        ("old", &[6]),
        ("same", &[7, 8]),
    ]);
    let after = mappings(&[
        ("eng", &[3]),
        ("fin", &[5, 9]),
        ("new", &[10, 3]),
        ("same", &[8, 7]),
    ]);
    let diff = diff_mappings(&before, &after);
    assert_eq!(diff.added, vec![("new".to_owned(), vec![3, 10])]);
    assert_eq!(
        diff.changed,
        vec![("fin".to_owned(), vec![4, 5], vec![5, 9])]
    );
    assert_eq!(diff.removed, vec![("old".to_owned(), vec![6])]);
    assert!(
        diff_mappings(&after, &after).is_empty(),
        "order does not matter"
    );
}

proptest! {
    /// Applying the diff to `before` gives `after` (as sets): nothing is left out or invented.
    #[test]
    fn a_mappings_diff_turns_before_into_after(
        before in proptest::collection::btree_map("[a-d]", proptest::collection::vec(1i64..6, 0..4), 0..5),
        after in proptest::collection::btree_map("[a-d]", proptest::collection::vec(1i64..6, 0..4), 0..5),
    ) {
        let diff = lanyard_core::groups::diff_mappings(&before, &after);
        let as_sets = |m: &GroupMappings| -> Vec<(String, BTreeSet<GroupId>)> {
            m.iter().map(|(k, v)| (k.clone(), v.iter().copied().collect())).collect()
        };
        let mut rebuilt = before.clone();
        for (key, _) in &diff.removed {
            rebuilt.remove(key);
        }
        for (key, ids) in &diff.added {
            prop_assert!(!before.contains_key(key));
            rebuilt.insert(key.clone(), ids.clone());
        }
        for (key, old, new) in &diff.changed {
            prop_assert_ne!(old, new);
            rebuilt.insert(key.clone(), new.clone());
        }
        prop_assert_eq!(as_sets(&rebuilt), as_sets(&after));
    }
}

#[test]
fn an_admins_groups_always_hold_all_users_and_administrators_exactly_when_asked() {
    let all = BUILTINS.all_users;
    let admins = BUILTINS.administrators;
    assert!(BUILTINS.is_admin(&[all, admins]));
    assert!(!BUILTINS.is_admin(&[all, 7]));
    assert_eq!(BUILTINS.wanted(&[7], None), BTreeSet::from([all, 7]));
    assert_eq!(
        BUILTINS.wanted(&[7], Some(true)),
        BTreeSet::from([all, admins, 7])
    );
    assert_eq!(
        BUILTINS.wanted(&[admins, 7], Some(false)),
        BTreeSet::from([all, 7])
    );
    assert_eq!(
        BUILTINS.wanted(&[admins], None),
        BTreeSet::from([all, admins])
    );
}
