//! PATCH (RFC 7644 §3.5.2) over a resource's JSON: `add`, `replace` and `remove`, in any letter
//! case (Entra ID sends `Replace`), with paths, value filters (`members[value eq "7"]`) and the
//! path-less value objects Entra ID sends (`{"op": "Replace", "value": {"active": false}}`, also
//! with dotted keys such as `"name.givenName"`). The caller turns the patched JSON back into a typed
//! resource with the same checks as a `PUT`, so a PATCH can never store what a `PUT` could not.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::filter::{Attributes, CompareOp, Filter, PatchPath, parse_patch_path, split_uri};
use super::{PATCH_OP_SCHEMA, ScimError, ScimType, get_ci, key_ci};

/// Most operations one PATCH may carry.
pub const MAX_OPERATIONS: usize = 1000;

/// What an operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    /// Adds values (appends to multi-valued attributes).
    Add,
    /// Replaces values.
    Replace,
    /// Removes values.
    Remove,
}

/// One operation of a PATCH request.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// What it does.
    pub kind: OpKind,
    /// Where; `None` for a path-less value object.
    pub path: Option<PatchPath>,
    /// The value (absent only for `remove`).
    pub value: Option<Value>,
}

impl Operation {
    /// Whether the operation may change the attribute `name`: its path names it, or it has no
    /// path and its value object holds it (also as `name.sub`). What a request that must be
    /// refused is known by, before any work is done.
    pub fn may_change(&self, name: &str) -> bool {
        match (&self.path, &self.value) {
            (Some(path), _) => path.attr.name.eq_ignore_ascii_case(name),
            (None, Some(Value::Object(values))) => values.keys().any(|key| {
                key.split('.')
                    .next()
                    .is_some_and(|first| first.eq_ignore_ascii_case(name))
            }),
            (None, _) => false,
        }
    }
}

/// Parses a PATCH body: the PatchOp schema and 1 to [`MAX_OPERATIONS`] operations.
pub fn parse(body: &Value, attributes: &Attributes) -> Result<Vec<Operation>, ScimError> {
    let syntax = |detail: &str| ScimError::bad(ScimType::InvalidSyntax, detail);
    let object = body
        .as_object()
        .ok_or_else(|| syntax("the body must be a JSON object"))?;
    let schemas = get_ci(object, "schemas").and_then(Value::as_array);
    if !schemas.is_some_and(|list| list.iter().any(|s| s.as_str() == Some(PATCH_OP_SCHEMA))) {
        return Err(ScimError::bad(
            ScimType::InvalidValue,
            format!("schemas must list {PATCH_OP_SCHEMA}"),
        ));
    }
    let operations = get_ci(object, "Operations")
        .and_then(Value::as_array)
        .filter(|list| !list.is_empty() && list.len() <= MAX_OPERATIONS)
        .ok_or_else(|| syntax("Operations must be a list of 1 to 1000 operations"))?;
    operations
        .iter()
        .map(|operation| {
            let operation = operation
                .as_object()
                .ok_or_else(|| syntax("each operation must be a JSON object"))?;
            let kind = match get_ci(operation, "op").and_then(Value::as_str) {
                Some(op) if op.eq_ignore_ascii_case("add") => OpKind::Add,
                Some(op) if op.eq_ignore_ascii_case("replace") => OpKind::Replace,
                Some(op) if op.eq_ignore_ascii_case("remove") => OpKind::Remove,
                _ => {
                    return Err(ScimError::bad(
                        ScimType::InvalidValue,
                        "op must be add, replace or remove",
                    ));
                }
            };
            let path = match get_ci(operation, "path") {
                None | Some(Value::Null) => None,
                Some(Value::String(path)) => Some(parse_patch_path(path, attributes)?),
                Some(_) => {
                    return Err(ScimError::bad(
                        ScimType::InvalidPath,
                        "path must be a string",
                    ));
                }
            };
            let value = get_ci(operation, "value").cloned();
            match (kind, &path, &value) {
                (OpKind::Remove, None, _) => {
                    Err(ScimError::bad(ScimType::NoTarget, "remove needs a path"))
                }
                (OpKind::Add | OpKind::Replace, _, None) => Err(ScimError::bad(
                    ScimType::InvalidValue,
                    "add and replace need a value",
                )),
                (OpKind::Add | OpKind::Replace, None, Some(value)) if !value.is_object() => {
                    Err(ScimError::bad(
                        ScimType::InvalidValue,
                        "without a path, the value must be an object of attributes",
                    ))
                }
                _ => Ok(Operation { kind, path, value }),
            }
        })
        .collect()
}

/// Applies `operations` in order to `resource`.
pub fn apply(
    resource: &mut Map<String, Value>,
    operations: &[Operation],
    attributes: &Attributes,
) -> Result<(), ScimError> {
    let mut next = 0;
    while let Some(operation) = operations.get(next) {
        next += 1;
        if let Some((path, text)) = removal_by_value(operation) {
            // Okta removes members one `members[value eq "…"]` operation each: a run of them is
            // one pass over the elements, not one pass per operation.
            let mut run = vec![(path, text)];
            while let Some(same) = operations
                .get(next)
                .and_then(removal_by_value)
                .filter(|(other, _)| same_attribute(&other.attr, &path.attr))
            {
                run.push(same);
                next += 1;
            }
            remove_by_values(resource, &run, attributes);
            continue;
        }
        match (&operation.path, &operation.value) {
            (Some(path), value) => {
                apply_at(resource, operation.kind, path, value.as_ref(), attributes)?
            }
            (None, Some(Value::Object(values))) => {
                for (key, value) in values {
                    let (uri, rest) = split_uri(key);
                    if uri.is_some()
                        && !rest.contains('.')
                        && value.is_object()
                        && !is_core(uri, attributes)
                    {
                        // An extension's attributes as one object: kept as sent (lanyard stores none).
                        let container = object_at(resource, key);
                        merge(container, value);
                        continue;
                    }
                    let path = parse_patch_path(key, attributes)?;
                    apply_at(resource, operation.kind, &path, Some(value), attributes)?;
                }
            }
            _ => {
                return Err(ScimError::bad(
                    ScimType::InvalidValue,
                    "an operation lacks its value",
                ));
            }
        }
    }
    Ok(())
}

/// A `remove` of exactly `attr[value eq "text"]`: its path and the text.
fn removal_by_value(operation: &Operation) -> Option<(&PatchPath, &str)> {
    let path = operation.path.as_ref()?;
    if operation.kind != OpKind::Remove || path.sub.is_some() || path.attr.sub.is_some() {
        return None;
    }
    match &path.filter {
        Some(Filter::Compare(on, CompareOp::Eq, Value::String(text)))
            if on.uri.is_none() && on.sub.is_none() && on.name.eq_ignore_ascii_case("value") =>
        {
            Some((path, text))
        }
        _ => None,
    }
}

fn same_attribute(a: &super::filter::AttrPath, b: &super::filter::AttrPath) -> bool {
    a.name.eq_ignore_ascii_case(&b.name)
        && match (&a.uri, &b.uri) {
            (None, None) => true,
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            _ => false,
        }
}

/// Removes every element the filters of `run` (all `value eq "…"` on one attribute) select, in one
/// pass: the texts in a set, folded as the filter compares them. An element whose `value` is not
/// text is left to the filters themselves, so the outcome is theirs exactly.
fn remove_by_values(
    resource: &mut Map<String, Value>,
    run: &[(&PatchPath, &str)],
    attributes: &Attributes,
) {
    let Some((first, _)) = run.first() else {
        return;
    };
    let exact = attributes
        .case_exact
        .iter()
        .any(|name| name.eq_ignore_ascii_case("value"));
    let fold = |text: &str| {
        if exact {
            text.to_owned()
        } else {
            text.to_lowercase()
        }
    };
    let wanted: HashSet<String> = run.iter().map(|(_, text)| fold(text)).collect();
    let container = if is_core(first.attr.uri.as_deref(), attributes) {
        resource
    } else {
        object_at(resource, first.attr.uri.as_deref().unwrap_or_default())
    };
    let Some(key) = key_ci(container, &first.attr.name) else {
        return;
    };
    let Some(Value::Array(items)) = container.get_mut(&key) else {
        return;
    };
    items.retain(|item| {
        let value = match item {
            Value::Object(element) => get_ci(element, "value"),
            other => Some(other),
        };
        let selected = match value {
            Some(Value::String(text)) => wanted.contains(&fold(text)),
            // No value: equal to null, so no `eq "…"` selects it.
            None => false,
            Some(_) => run.iter().any(|(path, _)| path.selects(item, attributes)),
        };
        !selected
    });
}

fn is_core(uri: Option<&str>, attributes: &Attributes) -> bool {
    uri.is_none_or(|uri| uri.eq_ignore_ascii_case(attributes.schema))
}

/// The object member `name` of `parent` (created empty when absent or not an object).
fn object_at<'a>(parent: &'a mut Map<String, Value>, name: &str) -> &'a mut Map<String, Value> {
    let key = key_ci(parent, name).unwrap_or_else(|| name.to_owned());
    let slot = parent
        .entry(key)
        .or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    match slot {
        Value::Object(object) => object,
        _ => unreachable!("made an object above"),
    }
}

fn merge(target: &mut Map<String, Value>, value: &Value) {
    if let Value::Object(values) = value {
        for (key, value) in values {
            let key = key_ci(target, key).unwrap_or_else(|| key.clone());
            target.insert(key, value.clone());
        }
    }
}

/// Two elements of a multi-valued attribute are the same when their `value`s are (as text, since
/// IdPs send ids as strings or numbers), else when they are equal.
fn same_element(a: &Value, b: &Value) -> bool {
    match (element_key(a), element_key(b)) {
        (Some(a), Some(b)) => a == b,
        _ => a == b,
    }
}

/// What identifies an element: its `value` as text, or the element itself when it is not an
/// object; `None` for an object without a `value` (compared whole).
fn element_key(element: &Value) -> Option<String> {
    match element {
        Value::Object(object) => get_ci(object, "value").map(text_of),
        other => Some(text_of(other)),
    }
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn apply_at(
    resource: &mut Map<String, Value>,
    kind: OpKind,
    path: &PatchPath,
    value: Option<&Value>,
    attributes: &Attributes,
) -> Result<(), ScimError> {
    let container = if is_core(path.attr.uri.as_deref(), attributes) {
        resource
    } else {
        object_at(resource, path.attr.uri.as_deref().unwrap_or_default())
    };
    let name = &path.attr.name;
    let key = key_ci(container, name).unwrap_or_else(|| name.clone());
    match (&path.filter, &path.attr.sub) {
        (None, None) => {
            match kind {
                OpKind::Remove => match (container.get_mut(&key), value) {
                    (Some(Value::Array(items)), Some(value)) => {
                        // Entra ID removes members as `{"path": "members", "value": [{"value": "7"}]}`.
                        let gone: Vec<&Value> = match value {
                            Value::Array(list) => list.iter().collect(),
                            one => vec![one],
                        };
                        // By key in a set: Entra ID removes thousands of members at once.
                        let gone_keys: HashSet<String> =
                            gone.iter().filter_map(|g| element_key(g)).collect();
                        let gone_keyless: Vec<&Value> = gone
                            .into_iter()
                            .filter(|g| element_key(g).is_none())
                            .collect();
                        items.retain(|item| match element_key(item) {
                            Some(key) => !gone_keys.contains(&key),
                            None => !gone_keyless.contains(&item),
                        });
                    }
                    _ => {
                        container.remove(&key);
                    }
                },
                OpKind::Add => {
                    let value = value.cloned().unwrap_or(Value::Null);
                    match (container.get_mut(&key), value) {
                        (Some(Value::Array(items)), value) => {
                            let new = match value {
                                Value::Array(list) => list,
                                one => vec![one],
                            };
                            // By key in a set: an add of 50,000 members is linear.
                            let mut present: HashSet<String> =
                                items.iter().filter_map(element_key).collect();
                            for element in new {
                                let fresh = match element_key(&element) {
                                    Some(key) => present.insert(key),
                                    None => !items.iter().any(|item| same_element(item, &element)),
                                };
                                if fresh {
                                    items.push(element);
                                }
                            }
                        }
                        (Some(Value::Object(existing)), value @ Value::Object(_)) => {
                            merge(existing, &value);
                        }
                        (_, value) => {
                            container.insert(key, value);
                        }
                    }
                }
                OpKind::Replace => {
                    let value = value.cloned().unwrap_or(Value::Null);
                    match (container.get_mut(&key), value) {
                        (Some(Value::Object(existing)), value @ Value::Object(_)) => {
                            merge(existing, &value);
                        }
                        (_, value) => {
                            container.insert(key, value);
                        }
                    }
                }
            }
            Ok(())
        }
        (None, Some(sub)) => {
            let value = value.cloned().unwrap_or(Value::Null);
            match container.get_mut(&key) {
                Some(Value::Array(items)) => {
                    // `emails.value` without a filter: every element.
                    for item in items.iter_mut() {
                        if let Value::Object(element) = item {
                            set_or_remove(element, sub, kind, &value);
                        }
                    }
                    if items.is_empty() && kind != OpKind::Remove {
                        let mut element = Map::new();
                        element.insert(sub.clone(), value);
                        items.push(Value::Object(element));
                    }
                }
                _ if kind == OpKind::Remove => {
                    if let Some(Value::Object(parent)) = container.get_mut(&key) {
                        set_or_remove(parent, sub, kind, &value);
                    }
                }
                _ => set_or_remove(object_at(container, name), sub, kind, &value),
            }
            Ok(())
        }
        (Some(filter), _) => {
            let sub = &path.sub;
            let value = value.cloned().unwrap_or(Value::Null);
            let items = match container.get_mut(&key) {
                Some(Value::Array(items)) => items,
                _ if kind == OpKind::Remove => return Ok(()),
                _ => {
                    container.insert(key.clone(), Value::Array(Vec::new()));
                    match container.get_mut(&key) {
                        Some(Value::Array(items)) => items,
                        _ => unreachable!("inserted an array above"),
                    }
                }
            };
            let selected: Vec<usize> = (0..items.len())
                .filter(|&i| path.selects(&items[i], attributes))
                .collect();
            if kind == OpKind::Remove {
                match sub {
                    Some(sub) => {
                        for &i in &selected {
                            if let Value::Object(element) = &mut items[i] {
                                element.remove(sub);
                            }
                        }
                    }
                    None => {
                        let selected: HashSet<usize> = selected.into_iter().collect();
                        let mut index = 0;
                        items.retain(|_| {
                            index += 1;
                            !selected.contains(&(index - 1))
                        });
                    }
                }
                return Ok(());
            }
            if selected.is_empty() {
                // `emails[type eq "work"].value` when there is no work email yet: Entra ID expects
                // one to be made. Only a plain `eq` says what the new element is.
                let Filter::Compare(on, CompareOp::Eq, equals) = filter else {
                    return Err(ScimError::bad(
                        ScimType::NoTarget,
                        format!("{} matched nothing", path.attr.name),
                    ));
                };
                let mut element = Map::new();
                element.insert(on.name.clone(), equals.clone());
                match sub {
                    Some(sub) => {
                        element.insert(sub.clone(), value);
                    }
                    None => merge(&mut element, &value),
                }
                items.push(Value::Object(element));
                return Ok(());
            }
            for &i in &selected {
                match (sub, &mut items[i]) {
                    (Some(sub), Value::Object(element)) => {
                        set_or_remove(element, sub, kind, &value);
                    }
                    (None, Value::Object(element)) if value.is_object() => merge(element, &value),
                    (_, item) => *item = value.clone(),
                }
            }
            Ok(())
        }
    }
}

fn set_or_remove(object: &mut Map<String, Value>, name: &str, kind: OpKind, value: &Value) {
    let key = key_ci(object, name).unwrap_or_else(|| name.to_owned());
    if kind == OpKind::Remove {
        object.remove(&key);
    } else {
        object.insert(key, value.clone());
    }
}
