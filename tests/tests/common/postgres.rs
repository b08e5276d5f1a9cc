//! A PostgreSQL database of a test's own (for the tests that start `lanyard` on PostgreSQL).

use sqlx::{Connection, Executor};

/// A database made afresh for one test (dropped first, should a killed run have left it), on the
/// server `LANYARD_TEST_POSTGRES_URL` names; [`TempDatabase::drop`] removes it.
pub struct TempDatabase {
    admin: sqlx::AnyConnection,
    name: String,
    /// The database's URL (the admin URL with this database's name).
    pub url: url::Url,
}

impl TempDatabase {
    /// Creates `{prefix}_{process id}` on the server at `admin_url`.
    pub async fn create(admin_url: &str, prefix: &str) -> Self {
        sqlx::any::install_default_drivers();
        let name = format!("{prefix}_{}", std::process::id());
        let admin = sqlx::AnyConnection::connect(admin_url)
            .await
            .expect("PostgreSQL answers");
        let mut this = Self {
            admin,
            url: url::Url::parse(admin_url).expect("url"),
            name,
        };
        this.drop_database().await;
        let create = format!("CREATE DATABASE {}", this.name);
        this.admin
            .execute(sqlx::AssertSqlSafe(create.as_str()))
            .await
            .expect("create");
        this.url.set_path(&this.name);
        this
    }

    /// Drops the database (closing whatever is still connected to it).
    pub async fn drop(mut self) {
        self.drop_database().await;
    }

    async fn drop_database(&mut self) {
        let drop = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        self.admin
            .execute(sqlx::AssertSqlSafe(drop.as_str()))
            .await
            .expect("drop");
    }
}
