//! SCIM: the filter language, PATCH semantics and the resource mapping, case by case.

use lanyard_core::scim::filter::{Filter, GROUP_ATTRIBUTES, USER_ATTRIBUTES};
use lanyard_core::scim::resources::{
    USER_READ_ONLY, UserRecord, check_read_only, group_input, user_input, user_json, version,
};
use lanyard_core::scim::{Paging, ScimType, patch};
use serde_json::{Value, json};

fn alice() -> Value {
    let groups = [(1, "All Users".to_owned()), (3, "Finance".to_owned())];
    user_json(
        &UserRecord {
            id: 7,
            email: "alice@example.com",
            user_name: None,
            first_name: Some("Alice"),
            last_name: Some("Liddell"),
            external_id: Some("00u1abcd"),
            active: true,
            groups: &groups,
            created: "2026-01-01T00:00:00Z",
            last_modified: "2026-01-02T00:00:00Z",
        },
        "https://sso.example/api/scim/v2",
    )
}

fn matches(filter: &str) -> bool {
    Filter::parse(filter, &USER_ATTRIBUTES)
        .unwrap_or_else(|e| panic!("{filter}: {e}"))
        .matches(&alice(), &USER_ATTRIBUTES)
}

#[test]
fn filters_match_as_rfc_7644_says() {
    let cases = [
        (r#"userName eq "alice@example.com""#, true),
        (r#"userName eq "ALICE@example.com""#, true), // userName is caseExact false
        (r#"USERNAME Eq "alice@example.com""#, true), // names and operators ignore case
        (r#"userName eq "bob@example.com""#, false),
        (r#"externalId eq "00u1abcd""#, true),
        (r#"externalId eq "00U1ABCD""#, false), // externalId is caseExact
        (r#"emails.value eq "alice@example.com""#, true),
        (r#"emails[type eq "work" and value co "@example."]"#, true),
        (r#"emails[type eq "home"]"#, false),
        (r#"userName sw "ali" and name.familyName ew "dell""#, true),
        (r#"userName eq "x@y.z" or active eq true"#, true),
        (r#"not (active eq true)"#, false),
        (
            r#"(userName eq "x@y.z" or externalId pr) and not (name.givenName eq "Bob")"#,
            true,
        ),
        (r#"displayName pr"#, true),
        (r#"meta.lastModified gt "2026-01-01T12:00:00Z""#, true),
        (r#"meta.created lt "2025-12-31T00:00:00Z""#, false),
        (r#"groups.display eq "finance""#, true),
        (r#"userName ne "alice@example.com""#, false),
        (
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "alice@example.com""#,
            true,
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(matches(filter), expected, "{filter}");
    }
}

#[test]
fn bad_filters_are_invalid_filter_with_a_reason() {
    let cases = [
        (r#"userName eq"#, "needs a value"),
        (r#"userName xx "a""#, "not a comparison operator"),
        (r#"userName eq "a" and"#, "expected"),
        (r#"(userName eq "a""#, "\")\""),
        (r#"userName eq "a"#, "not closed"),
        (r#"nickName eq "a""#, "unknown attribute"),
        (r#"name.middle eq "a""#, "unknown attribute"),
        (r#"active co true"#, "cannot compare"),
        (r#"active gt null"#, "cannot compare"),
        (r#"userName eq alice"#, "not a value"),
        (r#"emails[type eq "work"] extra"#, "unexpected"),
        (r#"emails[value[type eq "a"]]"#, "cannot be nested"),
        (r#"urn:x:y:Other:foo eq "a""#, "cannot be filtered"),
    ];
    for (filter, reason) in cases {
        let error = Filter::parse(filter, &USER_ATTRIBUTES).expect_err(filter);
        assert_eq!(error.status, 400, "{filter}");
        assert_eq!(error.scim_type, Some(ScimType::InvalidFilter), "{filter}");
        assert!(error.detail.contains(reason), "{filter}: {}", error.detail);
    }
    let deep = format!("{}userName pr{}", "(".repeat(40), ")".repeat(40));
    assert!(Filter::parse(&deep, &USER_ATTRIBUTES).is_err());
    assert!(Filter::parse(&"a".repeat(5000), &USER_ATTRIBUTES).is_err());
}

#[test]
fn a_filter_pins_the_email_only_where_it_must_hold() {
    let pinned = |f: &str| {
        Filter::parse(f, &USER_ATTRIBUTES)
            .expect("accepted")
            .pinned_email()
            .map(str::to_owned)
    };
    assert_eq!(pinned(r#"userName eq "a@b.c""#).as_deref(), Some("a@b.c"));
    assert_eq!(
        pinned(r#"active eq true and emails.value eq "a@b.c""#).as_deref(),
        Some("a@b.c")
    );
    assert_eq!(pinned(r#"userName eq "a@b.c" or active eq true"#), None);
    assert_eq!(pinned(r#"not (userName eq "a@b.c")"#), None);
    assert_eq!(pinned(r#"userName sw "a""#), None);
}

fn patched(resource: Value, body: Value) -> Result<Value, lanyard_core::scim::ScimError> {
    let operations = patch::parse(&body, &USER_ATTRIBUTES)?;
    let mut object = resource.as_object().cloned().expect("accepted");
    patch::apply(&mut object, &operations, &USER_ATTRIBUTES)?;
    Ok(Value::Object(object))
}

fn patch_op(operations: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations})
}

#[test]
fn entra_and_okta_patches_apply() {
    // Entra ID: capitalised op, path-less value object, boolean as a string.
    let after = patched(
        alice(),
        patch_op(json!([{"op": "Replace", "value": {"active": "False"}}])),
    )
    .expect("accepted");
    assert!(!user_input(&after).expect("accepted").active);
    // Okta: lower-case replace with a path-less boolean.
    let after = patched(
        alice(),
        patch_op(json!([{"op": "replace", "value": {"active": false}}])),
    )
    .expect("accepted");
    assert!(!user_input(&after).expect("accepted").active);
    // Entra ID: dotted keys in a path-less value.
    let after = patched(
        alice(),
        patch_op(
            json!([{"op": "Add", "value": {"name.givenName": "Alicia", "externalId": "e-1"}}]),
        ),
    )
    .expect("accepted");
    let input = user_input(&after).expect("accepted");
    assert_eq!(input.first_name.as_deref(), Some("Alicia"));
    assert_eq!(input.external_id.as_deref(), Some("e-1"));
    // Paths, with the schema prefix, and a value filter.
    let after = patched(
        alice(),
        patch_op(json!([
            {"op": "replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User:userName", "value": "Alice@New.example"},
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "alice@new.example"},
            {"op": "remove", "path": "name.familyName"},
        ])),
    )
    .expect("accepted");
    let input = user_input(&after).expect("accepted");
    assert_eq!(input.email, "alice@new.example");
    assert_eq!(input.last_name, None);
    // Extension attributes are accepted and not stored.
    let after = patched(
        alice(),
        patch_op(json!([{"op": "Add", "value": {
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Sales"
        }}])),
    )
    .expect("accepted");
    assert_eq!(
        user_input(&after).expect("accepted"),
        user_input(&alice()).expect("accepted")
    );
}

#[test]
fn patches_of_read_only_attributes_are_mutability_errors() {
    for operation in [
        json!({"op": "replace", "path": "id", "value": "8"}),
        json!({"op": "add", "path": "groups", "value": [{"value": "2"}]}),
        json!({"op": "replace", "value": {"meta": {"created": "2000-01-01T00:00:00Z"}}}),
    ] {
        let after = patched(alice(), patch_op(json!([operation.clone()]))).expect("accepted");
        let error =
            check_read_only(&alice(), &after, USER_READ_ONLY).expect_err(&operation.to_string());
        assert_eq!(error.scim_type, Some(ScimType::Mutability), "{operation}");
    }
}

#[test]
fn malformed_patches_say_why() {
    let cases = [
        (
            json!({"Operations": [{"op": "add", "value": {}}]}),
            ScimType::InvalidValue,
        ),
        (patch_op(json!([])), ScimType::InvalidSyntax),
        (
            patch_op(json!([{"op": "move", "path": "active", "value": true}])),
            ScimType::InvalidValue,
        ),
        (patch_op(json!([{"op": "remove"}])), ScimType::NoTarget),
        (
            patch_op(json!([{"op": "add", "path": "active"}])),
            ScimType::InvalidValue,
        ),
        (
            patch_op(json!([{"op": "add", "value": true}])),
            ScimType::InvalidValue,
        ),
        (
            patch_op(json!([{"op": "add", "path": "emails[type eq", "value": 1}])),
            ScimType::InvalidPath,
        ),
        (
            patch_op(json!([{"op": "add", "path": "nickName[x eq 1]", "value": 1}])),
            ScimType::InvalidPath,
        ),
    ];
    for (body, expected) in cases {
        let error = patched(alice(), body.clone()).expect_err(&body.to_string());
        assert_eq!(error.scim_type, Some(expected), "{body}: {}", error.detail);
    }
}

fn group(members: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Finance", "members": members})
}

fn patch_group(resource: Value, operations: Value) -> Vec<i64> {
    let operations = patch::parse(&patch_op(operations), &GROUP_ATTRIBUTES).expect("accepted");
    let mut object = resource.as_object().cloned().expect("accepted");
    patch::apply(&mut object, &operations, &GROUP_ATTRIBUTES).expect("accepted");
    group_input(&Value::Object(object))
        .expect("accepted")
        .members
}

#[test]
fn group_member_patches_add_and_remove() {
    let start = group(json!([{"value": "1"}, {"value": "2"}]));
    assert_eq!(
        patch_group(
            start.clone(),
            json!([{"op": "add", "path": "members", "value": [{"value": "3"}, {"value": "2"}]}])
        ),
        vec![1, 2, 3]
    );
    // Okta: remove by value filter.
    assert_eq!(
        patch_group(
            start.clone(),
            json!([{"op": "remove", "path": "members[value eq \"1\"]"}])
        ),
        vec![2]
    );
    // Entra ID: Remove with the members in the value.
    assert_eq!(
        patch_group(
            start.clone(),
            json!([{"op": "Remove", "path": "members", "value": [{"value": "2"}]}])
        ),
        vec![1]
    );
    // Replace all members.
    assert_eq!(
        patch_group(
            start.clone(),
            json!([{"op": "replace", "path": "members", "value": [{"value": 9}]}])
        ),
        vec![9]
    );
    // Removing all members.
    assert_eq!(
        patch_group(start, json!([{"op": "remove", "path": "members"}])),
        Vec::<i64>::new()
    );
}

#[test]
fn user_bodies_are_checked() {
    let base = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "Bob@Example.COM"});
    assert_eq!(
        user_input(&base).expect("accepted").email,
        "bob@example.com"
    );
    let with = |key: &str, value: Value| {
        let mut body = base.clone();
        body[key] = value;
        user_input(&body)
            .map(|_| ())
            .map_err(|e| (e.scim_type, e.detail))
    };
    assert!(
        with("schemas", json!(["urn:example:unknown"]))
            .expect_err("refused")
            .1
            .contains("schema")
    );
    assert!(
        with("userName", json!("not an email"))
            .expect_err("refused")
            .1
            .contains("userName")
    );
    assert!(with("userName", json!(5)).is_err());
    assert!(
        with("active", json!("maybe"))
            .expect_err("refused")
            .1
            .contains("active")
    );
    assert!(
        with("name", json!({"givenName": 3}))
            .expect_err("refused")
            .1
            .contains("givenName")
    );
    assert!(with("name", json!({"givenName": "x".repeat(300)})).is_err());
    assert!(with("emails", json!("a@b.c")).is_err());
    assert!(
        with(
            "schemas",
            json!([
                "urn:ietf:params:scim:schemas:core:2.0:User",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
            ])
        )
        .is_ok()
    );
    assert!(group_input(&group(json!([{"value": "x"}]))).is_err());
    assert!(group_input(&group(json!([{"value": "3", "type": "Group"}]))).is_err());
}

/// SPEC §12 (wave 3): a `userName` that is not an email is kept as given, the email coming from
/// `emails` — the primary entry, else `type` `work`, else the first.
#[test]
fn a_user_name_that_is_not_an_email_takes_the_email_from_emails() {
    let body = |user_name: &str, emails: Value| {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": user_name,
            "emails": emails,
        })
    };
    let read = |user_name: &str, emails: Value| {
        user_input(&body(user_name, emails)).map(|input| (input.email, input.user_name))
    };
    let some = |email: &str, name: &str| Ok((email.to_owned(), Some(name.to_owned())));
    let home = json!({"value": "Bob@Home.example", "type": "home"});
    let work = json!({"value": "bob@work.example", "type": "Work"});
    let primary = json!({"value": "bob@primary.example", "primary": "True"});
    assert_eq!(
        read("bjensen", json!([home, work, primary])),
        some("bob@primary.example", "bjensen")
    );
    assert_eq!(
        read("bjensen", json!([home, work])),
        some("bob@work.example", "bjensen")
    );
    assert_eq!(
        read("bjensen", json!([home])),
        some("bob@home.example", "bjensen")
    );
    // An email userName is the email, whatever emails says.
    assert_eq!(
        read("Ann@Example.com", json!([work])),
        Ok(("ann@example.com".to_owned(), None))
    );
    // Neither: invalidValue naming userName. A chosen entry that is no address: naming emails.
    for (user_name, emails, names) in [
        ("bjensen", json!([]), "userName"),
        ("bjensen", Value::Null, "userName"),
        (
            "bjensen",
            json!([{"value": "not-an-address", "primary": true}, work]),
            "emails",
        ),
        ("", json!([work]), "userName"),
        ("a\u{7}b", json!([work]), "userName"),
    ] {
        let error = read(user_name, emails).expect_err("refused");
        assert_eq!(
            error.scim_type,
            Some(ScimType::InvalidValue),
            "{user_name:?}"
        );
        assert!(
            error.detail.contains(names),
            "{user_name:?}: {}",
            error.detail
        );
    }
    let long = "x".repeat(256);
    assert!(read(&long, json!([work])).is_err());

    // Shown as given, with the email in emails.
    let resource = user_json(
        &UserRecord {
            id: 3,
            email: "bob@work.example",
            user_name: Some("bjensen"),
            first_name: None,
            last_name: None,
            external_id: None,
            active: true,
            groups: &[],
            created: "2026-01-01T00:00:00Z",
            last_modified: "2026-01-01T00:00:00Z",
        },
        "https://sso.example/api/scim/v2",
    );
    assert_eq!(resource["userName"], "bjensen");
    assert_eq!(resource["emails"][0]["value"], "bob@work.example");
    // And read back (a PATCH starts from the resource): the same user.
    assert_eq!(
        user_input(&resource).map(|input| (input.email, input.user_name)),
        some("bob@work.example", "bjensen")
    );
}

#[test]
fn versions_change_exactly_when_the_resource_does() {
    let a = alice();
    assert_eq!(version(&a), version(&alice()));
    let groups = [(1, "All Users".to_owned())];
    let b = user_json(
        &UserRecord {
            id: 7,
            email: "alice@example.com",
            user_name: None,
            first_name: Some("Alice"),
            last_name: Some("Liddell"),
            external_id: Some("00u1abcd"),
            active: true,
            groups: &groups,
            created: "2026-01-01T00:00:00Z",
            last_modified: "2026-01-02T00:00:00Z",
        },
        "https://sso.example/api/scim/v2",
    );
    assert_ne!(version(&a), version(&b));
    assert!(version(&a).expect("accepted").starts_with("W/\""));
}

#[test]
fn paging_follows_rfc_7644() {
    let page = Paging::from_query(Some("0"), Some("-4")).expect("accepted");
    assert_eq!((page.start_index, page.count), (1, 0));
    let page = Paging::from_query(Some("3"), Some("2")).expect("accepted");
    assert_eq!(page.page((1..=10).collect()), vec![3, 4]);
    assert_eq!(
        Paging::from_query(None, Some("100000"))
            .expect("accepted")
            .count,
        200
    );
    assert!(Paging::from_query(Some("x"), None).is_err());
}

proptest::proptest! {
    /// Any text is parsed or refused with `invalidFilter`; nothing panics.
    #[test]
    fn any_filter_text_is_parsed_or_refused(text in "[ a-zA-Z.()\\[\\]\"\\\\:0-9]{0,60}") {
        if let Err(error) = Filter::parse(&text, &USER_ATTRIBUTES) {
            proptest::prop_assert_eq!(error.scim_type, Some(ScimType::InvalidFilter));
        }
    }

    /// `userName eq` finds exactly the user whose email it names, in any ASCII letter case, and
    /// `not` inverts it.
    #[test]
    fn user_name_eq_matches_exactly_that_user(local in "[a-z][a-z0-9.]{0,10}", upper in proptest::bool::ANY) {
        let email = format!("{local}@example.com");
        let asked = if upper { email.to_uppercase() } else { email.clone() };
        let groups = [];
        let resource = user_json(&UserRecord {
            id: 1, email: &email, user_name: None, first_name: None, last_name: None, external_id: None, active: true,
            groups: &groups, created: "2026-01-01T00:00:00Z", last_modified: "2026-01-01T00:00:00Z",
        }, "https://sso.example/api/scim/v2");
        let quoted = serde_json::to_string(&asked).expect("json");
        let filter = Filter::parse(&format!("userName eq {quoted}"), &USER_ATTRIBUTES).expect("parses");
        proptest::prop_assert!(filter.matches(&resource, &USER_ATTRIBUTES));
        let negated = Filter::parse(&format!("not (userName eq {quoted})"), &USER_ATTRIBUTES).expect("parses");
        proptest::prop_assert!(!negated.matches(&resource, &USER_ATTRIBUTES));
        let other = Filter::parse(&format!("userName eq \"x{local}@example.com\""), &USER_ATTRIBUTES).expect("parses");
        proptest::prop_assert!(!other.matches(&resource, &USER_ATTRIBUTES));
    }
}

#[test]
fn an_operation_says_which_attribute_it_may_change() {
    let ops =
        |operations: Value| patch::parse(&patch_op(operations), &GROUP_ATTRIBUTES).expect("parses");
    let touches = |operations: Value| ops(operations).iter().any(|op| op.may_change("members"));
    assert!(touches(
        json!([{"op": "add", "path": "members", "value": [{"value": "7"}]}])
    ));
    assert!(touches(
        json!([{"op": "remove", "path": "members[value eq \"7\"]"}])
    ));
    assert!(touches(
        json!([{"op": "Replace", "value": {"members": []}}])
    ));
    assert!(!touches(
        json!([{"op": "replace", "path": "displayName", "value": "x"}])
    ));
    assert!(!touches(
        json!([{"op": "replace", "value": {"displayName": "x"}}])
    ));
}

/// A PATCH of tens of thousands of members is linear: adding them, adding them again (nothing
/// changes) and removing them by value.
#[test]
fn large_member_patches_add_and_remove_every_member_once() {
    let members: Vec<Value> = (0..20_000)
        .map(|i| json!({"value": i.to_string()}))
        .collect();
    let added = patch_group(
        group(json!([])),
        json!([{"op": "add", "path": "members", "value": members}]),
    );
    assert_eq!(added.len(), 20_000);
    let twice = patch_group(
        group(json!(members)),
        json!([{"op": "add", "path": "members", "value": members}]),
    );
    assert_eq!(twice.len(), 20_000, "no duplicates");
    let removed = patch_group(
        group(json!(members)),
        json!([{"op": "remove", "path": "members", "value": members[..19_999]}]),
    );
    assert_eq!(removed, vec![19_999]);
}

use proptest::prelude::{Strategy, prop_assert_eq};

proptest::proptest! {
    /// A run of `members[value eq "…"]` removals (Okta's way) is done in one pass; what it removes
    /// is exactly what the filters select, one by one.
    #[test]
    fn removals_by_value_remove_exactly_what_their_filters_select(
        members in proptest::collection::vec(
            proptest::prop_oneof![
                "[aAbB7]{1,2}".prop_map(|v| json!({"value": v})),
                (0i64..9).prop_map(|n| json!({"value": n})),
                proptest::strategy::Just(json!({"display": "no value"})),
                "[ab7]".prop_map(|v| json!(v)),
            ],
            0..12,
        ),
        removed in proptest::collection::vec("[aAbB7]{1,2}", 1..6),
    ) {
        let operations: Vec<Value> = removed
            .iter()
            .map(|v| json!({"op": "remove", "path": format!("members[value eq \"{v}\"]")}))
            .collect();
        let parsed = patch::parse(&patch_op(json!(operations)), &GROUP_ATTRIBUTES).expect("parses");
        let expected: Vec<Value> = members
            .iter()
            .filter(|item| {
                !parsed.iter().any(|op| {
                    op.path.as_ref().expect("path").selects(item, &GROUP_ATTRIBUTES)
                })
            })
            .cloned()
            .collect();
        let mut object = group(json!(members)).as_object().cloned().expect("object");
        patch::apply(&mut object, &parsed, &GROUP_ATTRIBUTES).expect("applies");
        prop_assert_eq!(&object["members"], &json!(expected));
    }
}
