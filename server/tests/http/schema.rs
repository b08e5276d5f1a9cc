//! Issue 24 item 6: the two migration dialects build the same schema — the same tables, the same
//! columns (name, kind, whether NULL is allowed) and the same indexes (name, uniqueness) — so a
//! migration written for one and not the other, or differently, fails here.

use std::collections::BTreeSet;

use sqlx::{Connection, Row};

use crate::support::*;

/// One table's shape, comparable across dialects.
type Shape = BTreeSet<String>;

/// `table.column kind [not null]` for every column, and `index name [unique] on table`.
async fn sqlite_shape(url: &str) -> Shape {
    let mut db = sqlx::SqliteConnection::connect(url).await.expect("sqlite");
    let mut shape = Shape::new();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx_%'",
    )
    .fetch_all(&mut db)
    .await
    .expect("tables");
    for table in &tables {
        let columns = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT name, type, \"notnull\", pk FROM pragma_table_info('{table}')"
        )))
        .fetch_all(&mut db)
        .await
        .expect("columns");
        for column in columns {
            let name: String = column.get("name");
            let kind: String = column.get("type");
            // A primary key is never NULL, whether or not SQLite's table says so.
            let not_null = column.get::<i64, _>("notnull") != 0 || column.get::<i64, _>("pk") != 0;
            shape.insert(describe(table, &name, &kind, not_null));
        }
        let indexes = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT name, \"unique\", origin FROM pragma_index_list('{table}')"
        )))
        .fetch_all(&mut db)
        .await
        .expect("indexes");
        for index in indexes {
            // Only indexes a migration names: not those SQLite makes for keys and UNIQUE columns.
            if index.get::<String, _>("origin") == "c" {
                let unique = index.get::<i64, _>("unique") != 0;
                shape.insert(index_line(table, &index.get::<String, _>("name"), unique));
            }
        }
    }
    shape
}

async fn postgres_shape(url: &str) -> Shape {
    let mut db = sqlx::PgConnection::connect(url).await.expect("postgres");
    let mut shape = Shape::new();
    let columns = sqlx::query(
        "SELECT table_name::text AS t, column_name::text AS c, data_type::text AS k, \
         is_nullable::text AS n FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name NOT LIKE '\\_sqlx\\_%'",
    )
    .fetch_all(&mut db)
    .await
    .expect("columns");
    for column in columns {
        let table: String = column.get("t");
        let not_null = column.get::<String, _>("n") == "NO";
        shape.insert(describe(
            &table,
            &column.get::<String, _>("c"),
            &column.get::<String, _>("k"),
            not_null,
        ));
    }
    // Indexes a migration names (`CREATE INDEX`), not those behind keys and UNIQUE constraints.
    let indexes = sqlx::query(
        "SELECT t.relname::text AS t, i.relname::text AS name, x.indisunique AS u \
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = 'public' AND t.relname NOT LIKE '\\_sqlx\\_%' \
         AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
    )
    .fetch_all(&mut db)
    .await
    .expect("indexes");
    for index in indexes {
        shape.insert(index_line(
            &index.get::<String, _>("t"),
            &index.get::<String, _>("name"),
            index.get::<bool, _>("u"),
        ));
    }
    shape
}

/// The kinds the two dialects spell apart, as one word.
fn kind_of(declared: &str) -> &'static str {
    let declared = declared.to_ascii_lowercase();
    if declared.contains("int") {
        "integer"
    } else if declared.contains("char") || declared.contains("text") {
        "text"
    } else if declared.contains("bool") {
        "boolean"
    } else if declared.contains("bytea") || declared.contains("blob") {
        "bytes"
    } else if declared.contains("real") || declared.contains("double") || declared.contains("float")
    {
        "float"
    } else {
        "other"
    }
}

fn describe(table: &str, column: &str, kind: &str, not_null: bool) -> String {
    let null = if not_null { " not null" } else { "" };
    format!("{table}.{column} {}{null}", kind_of(kind))
}

fn index_line(table: &str, name: &str, unique: bool) -> String {
    let unique = if unique { " unique" } else { "" };
    format!("index {name}{unique} on {table}")
}

#[tokio::test]
async fn both_migration_dialects_build_the_same_schema() {
    let Some(database) = TempDatabase::create().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let sqlite_url = format!("sqlite://{}", dir.path().join("lanyard.db").display());
    // Each server runs every migration on its fresh database as it starts.
    let sqlite = Server::start(sqlite_url.clone()).await;
    let postgres = Server::start(database.url.clone()).await;
    let (on_sqlite, on_postgres) = (
        sqlite_shape(&sqlite_url).await,
        postgres_shape(&database.url).await,
    );
    for line in [
        "users.email text not null",
        "users.scim_user_name text",
        "index memberships_by_group on memberships",
        "index users_by_scim_user_name unique on users",
    ] {
        assert!(on_sqlite.contains(line), "{line} in {on_sqlite:#?}");
    }
    eprintln!("{} columns and indexes compared", on_sqlite.len());
    let only_sqlite: Vec<&String> = on_sqlite.difference(&on_postgres).collect();
    let only_postgres: Vec<&String> = on_postgres.difference(&on_sqlite).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "the dialects differ:\nonly in SQLite: {only_sqlite:#?}\nonly in PostgreSQL: {only_postgres:#?}"
    );
    drop((sqlite, postgres));
}
