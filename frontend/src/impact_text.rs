//! The mapping impact in words, for the mappings modal: "3 people join Finance · 1 leaves Sales".
//! Pure, so it is tested natively.

use lanyard_api::{GroupId, MappingsImpact};

fn people(count: usize) -> String {
    match count {
        1 => "1 person".to_owned(),
        n => format!("{n} people"),
    }
}

/// One line for the whole impact; `name` gives a group's name.
pub fn impact_line(impact: &MappingsImpact, name: impl Fn(GroupId) -> String) -> String {
    let mut parts = Vec::new();
    for group in &impact.groups {
        for (who, one, many) in [
            (&group.join, "joins", "join"),
            (&group.leave, "leaves", "leave"),
        ] {
            if !who.is_empty() {
                let verb = if who.len() == 1 { one } else { many };
                parts.push(format!(
                    "{} {verb} {}",
                    people(who.len()),
                    name(group.group_id)
                ));
            }
        }
    }
    if parts.is_empty() {
        "No one's groups change.".to_owned()
    } else {
        parts.join(" · ")
    }
}

/// What happens to a group no mapping names any more.
pub fn unmapped_line(member_count: i64, group: &str) -> String {
    let members = match member_count {
        0 => return format!("{group} is no longer mapped; it has no members."),
        1 => "Its 1 member stays".to_owned(),
        n => format!("Its {n} members stay"),
    };
    format!(
        "{group} is no longer mapped. {members} in it unless you remove them (delete the mapping row to choose)."
    )
}

#[cfg(test)]
mod tests {
    use lanyard_api::GroupImpact;

    use super::*;

    #[test]
    fn the_line_counts_people_per_group() {
        let impact = MappingsImpact {
            users: Vec::new(),
            groups: vec![
                GroupImpact {
                    group_id: 10,
                    join: vec![1, 2, 3],
                    leave: Vec::new(),
                },
                GroupImpact {
                    group_id: 11,
                    join: Vec::new(),
                    leave: vec![4],
                },
            ],
            unmapped_groups: Vec::new(),
        };
        let name = |id| {
            if id == 10 {
                "Finance".into()
            } else {
                "Sales".into()
            }
        };
        assert_eq!(
            impact_line(&impact, name),
            "3 people join Finance · 1 person leaves Sales"
        );
        assert_eq!(
            impact_line(&MappingsImpact::default(), name),
            "No one's groups change."
        );
        assert!(unmapped_line(5, "Legacy").contains("Its 5 members stay"));
    }
}
