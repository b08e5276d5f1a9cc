//! SPEC §10: the mapping preview is the login's own plan on each user's last groups claim.

use std::collections::{BTreeMap, BTreeSet};

use lanyard_api::{GroupMappings, UnmappedGroup};
use lanyard_core::groups::{self, BuiltinGroups, SyncInput};
use lanyard_core::impact::{SsoMember, impact, plan_all};

const BUILTINS: BuiltinGroups = BuiltinGroups {
    all_users: 1,
    administrators: 2,
};
const FINANCE: i64 = 10;
const SALES: i64 = 11;

fn member(id: i64, current: &[i64], jwt_groups: Option<&[&str]>) -> SsoMember {
    SsoMember {
        user_id: id,
        email: format!("u{id}@example.com"),
        active: true,
        current: current.iter().copied().collect(),
        jwt_groups: jwt_groups.map(|g| g.iter().map(|s| s.to_string()).collect()),
    }
}

fn mappings(pairs: &[(&str, &[i64])]) -> GroupMappings {
    pairs
        .iter()
        .map(|(name, ids)| (name.to_string(), ids.to_vec()))
        .collect()
}

#[test]
fn the_preview_counts_joins_leaves_and_unmapped_groups() {
    let members = vec![
        member(3, &[1, SALES], Some(&["finance"])),
        member(4, &[1], Some(&["finance", "sales"])),
        member(5, &[1, SALES], Some(&["sales"])),
        member(6, &[1, SALES], None),
    ];
    let old = mappings(&[("sales", &[SALES]), ("legacy", &[20])]);
    let new = mappings(&[("finance", &[FINANCE]), ("sales", &[SALES])]);
    let counts = BTreeMap::from([(20, 7), (SALES, 3)]);
    let preview = impact(&members, &old, &new, BUILTINS, 1, &counts);
    let finance = preview
        .groups
        .iter()
        .find(|g| g.group_id == FINANCE)
        .expect("finance");
    assert_eq!(finance.join, vec![3, 4]);
    let sales = preview
        .groups
        .iter()
        .find(|g| g.group_id == SALES)
        .expect("sales");
    assert_eq!(
        (sales.join.clone(), sales.leave.clone()),
        (vec![4], vec![3])
    );
    // User 5 changes nothing; user 6 never sent a groups claim, so nothing changes for them.
    let ids: Vec<i64> = preview.users.iter().map(|u| u.user_id).collect();
    assert_eq!(ids, vec![3, 4]);
    assert_eq!(
        preview.unmapped_groups,
        vec![UnmappedGroup {
            group_id: 20,
            member_count: 7
        }]
    );
}

#[test]
fn every_plan_is_the_login_plan_and_applying_it_is_stable() {
    let members = vec![
        member(3, &[1, SALES], Some(&["finance"])),
        member(4, &[1, 2], Some(&["finance", "admins"])),
    ];
    let new = mappings(&[
        ("finance", &[FINANCE]),
        ("sales", &[SALES]),
        ("admins", &[2]),
    ]);
    let plans = plan_all(&members, &new, BUILTINS, 2);
    for (member, plan) in members.iter().zip(&plans) {
        let login = groups::plan(SyncInput {
            current: &member.current,
            mappings: &new,
            token_groups: member.jwt_groups.as_deref(),
            builtins: BUILTINS,
            is_last_active_admin: false,
        });
        assert_eq!(plan, &login);
        // After the plan is applied, the same login changes nothing more.
        let applied: BTreeSet<i64> = member
            .current
            .union(&plan.add)
            .filter(|id| !plan.remove.contains(id))
            .copied()
            .collect();
        let again = groups::plan(SyncInput {
            current: &applied,
            mappings: &new,
            token_groups: member.jwt_groups.as_deref(),
            builtins: BUILTINS,
            is_last_active_admin: false,
        });
        assert!(again.is_empty(), "{again:?}");
    }
}

#[test]
fn a_batch_never_removes_the_last_active_administrators() {
    // Both admins lose their admin mapping: the first (by id) leaves, the second stays the last.
    let members = vec![
        member(8, &[1, 2], Some(&["staff"])),
        member(7, &[1, 2], Some(&["staff"])),
    ];
    let new = mappings(&[("admins", &[2])]);
    let plans = plan_all(&members, &new, BUILTINS, 2);
    assert!(plans[1].remove.contains(&2), "user 7 leaves first");
    assert!(!plans[0].remove.contains(&2), "user 8 stays the last admin");
    assert_eq!(plans[0].notes.len(), 1);
    // With a third active admin who is not an SSO user, both may leave.
    let plans = plan_all(&members, &new, BUILTINS, 3);
    assert!(plans.iter().all(|p| p.remove.contains(&2)));
}
