//! Appointment rows, read side: portable queries shared by the pool and by locked transactions.
//! The writes live in `booking` (the only part allowed to change appointments); they share the
//! transaction type [`StaffTx`] opened here.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{AnyExecutor, Row};

use super::{Store, StoreError};
use crate::domain::{Appointment, AppointmentId, Interval, PhoneNumber, StaffId};

const COLUMNS: &str = "id, service_id, staff_id, start_at, end_at, buffer_minutes, customer_name, \
     customer_phone, customer_email, notes, status, booked_via, external_event_id, idempotency_key, created_at, updated_at, sequence, conversation_id, customer_confirmed_at";

/// Which appointments to list.
#[derive(Debug, Clone, Default)]
pub struct AppointmentFilter {
    /// Only this customer's.
    pub phone: Option<PhoneNumber>,
    /// Only those ending after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Only those starting before this instant.
    pub until: Option<DateTime<Utc>>,
    /// Only this staff member's.
    pub staff: Option<StaffId>,
    /// Include cancelled ones.
    pub include_cancelled: bool,
    /// At most this many.
    pub limit: Option<i64>,
    /// Only those after this one in the list's order (start, staff, id): keyset pagination.
    pub after: Option<(DateTime<Utc>, StaffId, AppointmentId)>,
}

/// A write transaction holding the per-staff commit lock (see [`Store::begin_for_staff`]).
/// Dropped without [`StaffTx::commit`], it rolls back.
pub(crate) struct StaffTx {
    tx: super::WriteTx,
}

/// Longer than any appointment can be: services last at most a day (config validation); staff
/// stretching an event in Google get a week of room.
const LONGEST_APPOINTMENT: chrono::Duration = chrono::Duration::days(7);

fn corrupt(problem: impl ToString) -> StoreError {
    StoreError::Corrupt { table: "appointments", problem: problem.to_string() }
}

fn instant(secs: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp(secs, 0).ok_or_else(|| corrupt(format!("timestamp {secs} out of range")))
}

fn from_row(row: &AnyRow) -> Result<Appointment, StoreError> {
    let text = |name: &str| row.try_get::<String, _>(name);
    let int = |name: &str| row.try_get::<i64, _>(name);
    Ok(Appointment {
        id: text("id")?.parse().map_err(corrupt)?,
        service_id: text("service_id")?.parse().map_err(corrupt)?,
        staff_id: text("staff_id")?.parse().map_err(corrupt)?,
        start: instant(int("start_at")?)?,
        end: instant(int("end_at")?)?,
        buffer_minutes: int("buffer_minutes")?,
        customer_name: text("customer_name")?,
        customer_phone: PhoneNumber::from_stored(text("customer_phone")?),
        customer_email: row.try_get("customer_email")?,
        notes: row.try_get("notes")?,
        status: text("status")?.parse().map_err(corrupt)?,
        booked_via: text("booked_via")?.parse().map_err(corrupt)?,
        external_event_id: row.try_get("external_event_id")?,
        idempotency_key: row.try_get("idempotency_key")?,
        conversation: row.try_get("conversation_id")?,
        created_at: instant(int("created_at")?)?,
        updated_at: instant(int("updated_at")?)?,
        sequence: int("sequence")?,
        customer_confirmed_at: row.try_get::<Option<i64>, _>("customer_confirmed_at")?.map(instant).transpose()?,
    })
}

async fn fetch_all<'e>(e: impl AnyExecutor<'e>, sql: &str, binds: Vec<Bind>) -> Result<Vec<Appointment>, StoreError> {
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    let mut q = sqlx::query(sql);
    for b in binds {
        q = match b {
            Bind::Text(s) => q.bind(s),
            Bind::Int(i) => q.bind(i),
        };
    }
    q.fetch_all(e).await?.iter().map(from_row).collect()
}

enum Bind {
    Text(String),
    Int(i64),
}

async fn get<'e>(e: impl AnyExecutor<'e>, column: &str, value: String) -> Result<Option<Appointment>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM appointments WHERE {column} = $1");
    Ok(fetch_all(e, &sql, vec![Bind::Text(value)]).await?.pop())
}

async fn confirmed_for_staff<'e>(
    e: impl AnyExecutor<'e>,
    staff: &[&StaffId],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Appointment>, StoreError> {
    if staff.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (0..staff.len()).map(|i| format!("${}", i + 4)).collect();
    // `start_at > $3` bounds the index range scan on (staff_id, start_at) from below; without it
    // every earlier appointment of the staff member is read on each booking.
    let sql = format!(
        "SELECT {COLUMNS} FROM appointments WHERE status = 'confirmed' AND start_at < $1 AND end_at > $2 \
         AND start_at > $3 AND staff_id IN ({}) ORDER BY start_at",
        placeholders.join(", ")
    );
    let earliest = from - LONGEST_APPOINTMENT;
    let mut binds = vec![Bind::Int(to.timestamp()), Bind::Int(from.timestamp()), Bind::Int(earliest.timestamp())];
    binds.extend(staff.iter().map(|s| Bind::Text(s.to_string())));
    fetch_all(e, &sql, binds).await
}

impl StaffTx {
    /// The transaction, for other tables changed together with an appointment (and for the
    /// booking service's own appointment writes, which live in `booking`).
    pub(crate) fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }

    pub(super) fn new(tx: super::WriteTx) -> Self {
        Self { tx }
    }

    /// Confirmed appointments of `staff` overlapping `[from, to)`, by start.
    pub(crate) async fn confirmed_for_staff(
        &mut self,
        staff: &[&StaffId],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Appointment>, StoreError> {
        confirmed_for_staff(&mut *self.tx, staff, from, to).await
    }

    /// What a booking checks under the lock, in one statement: the confirmed appointments of
    /// `staff` that could conflict with `wanted` (each widened by the larger of its own buffer
    /// and `buffer`, as the availability rules widen them), and the appointment an earlier
    /// request with `key` made. Only rows that matter are read: each row is a hand-off from
    /// SQLite's worker thread, and a busy day has dozens.
    pub(crate) async fn booking_snapshot(
        &mut self,
        staff: &[&StaffId],
        wanted: Interval,
        buffer: chrono::Duration,
        key: Option<&str>,
    ) -> Result<(Vec<Appointment>, Option<Appointment>), StoreError> {
        if staff.is_empty() {
            return Ok((Vec::new(), None));
        }
        let day = chrono::Duration::days(1);
        let mut binds = vec![
            Bind::Int(wanted.end.timestamp()),
            Bind::Int(wanted.start.timestamp()),
            Bind::Int(buffer.num_seconds()),
            Bind::Int((wanted.end + day).timestamp()),
            Bind::Int((wanted.start - day - LONGEST_APPOINTMENT).timestamp()),
        ];
        let placeholders: Vec<String> = (0..staff.len()).map(|i| format!("${}", binds.len() + i + 1)).collect();
        binds.extend(staff.iter().map(|s| Bind::Text(s.to_string())));
        // `start_at` bounds keep the (staff_id, start_at) index range small: a buffer is at most
        // a day (config validation), an appointment at most LONGEST_APPOINTMENT.
        let gap = "CASE WHEN buffer_minutes * 60 > $3 THEN buffer_minutes * 60 ELSE $3 END";
        let conflicts = format!(
            "status = 'confirmed' AND start_at - {gap} < $1 AND end_at + {gap} > $2 \
             AND start_at < $4 AND start_at > $5 AND staff_id IN ({})",
            placeholders.join(", ")
        );
        let sql = match key {
            Some(key) => {
                binds.push(Bind::Text(key.to_string()));
                format!("SELECT {COLUMNS} FROM appointments WHERE idempotency_key = ${} OR ({conflicts})", binds.len())
            }
            None => format!("SELECT {COLUMNS} FROM appointments WHERE {conflicts}"),
        };
        let mut rows = fetch_all(&mut *self.tx, &sql, binds).await?;
        let earlier = key.and_then(|key| {
            let i = rows.iter().position(|a| a.idempotency_key.as_deref() == Some(key))?;
            Some(rows.remove(i))
        });
        Ok((rows, earlier))
    }

    /// How many confirmed appointments each of `staff` has in `[from, to)` (for choosing the
    /// least busy); staff without any are missing.
    pub(crate) async fn confirmed_counts(
        &mut self,
        staff: &[&StaffId],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let placeholders: Vec<String> = (0..staff.len()).map(|i| format!("${}", i + 3)).collect();
        let sql = format!(
            "SELECT staff_id, COUNT(*) AS n FROM appointments WHERE status = 'confirmed' AND start_at >= $1 \
             AND start_at < $2 AND staff_id IN ({}) GROUP BY staff_id",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(from.timestamp()).bind(to.timestamp());
        for s in staff {
            query = query.bind(s.to_string());
        }
        let rows = query.fetch_all(&mut *self.tx).await?;
        rows.iter().map(|r| Ok((r.try_get::<String, _>("staff_id")?, r.try_get::<i64, _>("n")?))).collect()
    }

    /// One appointment.
    pub(crate) async fn appointment(&mut self, id: AppointmentId) -> Result<Option<Appointment>, StoreError> {
        get(&mut *self.tx, "id", id.to_string()).await
    }

    /// Commits and releases the locks.
    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }
}

/// Appointments, read side (see [`Store::appointments`]).
#[derive(Clone, Copy)]
pub struct Appointments<'a>(pub(super) &'a Store);

/// A customers row: number, name, how many appointments.
fn customer(r: &sqlx::any::AnyRow) -> Result<(PhoneNumber, String, i64), StoreError> {
    Ok((PhoneNumber::from_stored(r.try_get("customer_phone")?), r.try_get("name")?, r.try_get("n")?))
}

impl Appointments<'_> {
    /// One appointment.
    pub async fn get(&self, id: AppointmentId) -> Result<Option<Appointment>, StoreError> {
        get(self.0.pool(), "id", id.to_string()).await
    }

    /// The appointment created by a request with this idempotency key.
    pub(crate) async fn by_idempotency_key(&self, key: &str) -> Result<Option<Appointment>, StoreError> {
        get(self.0.pool(), "idempotency_key", key.to_string()).await
    }

    /// Confirmed appointments of `staff` overlapping `[from, to)`, by start (no lock: for searches).
    pub(crate) async fn confirmed_for_staff(
        &self,
        staff: &[&StaffId],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Appointment>, StoreError> {
        confirmed_for_staff(self.0.pool(), staff, from, to).await
    }

    /// The appointments conversation `id` booked, by start (cancelled ones only with
    /// `filter.include_cancelled`).
    pub async fn by_conversation(&self, id: &str, filter: &AppointmentFilter) -> Result<Vec<Appointment>, StoreError> {
        let status = if filter.include_cancelled { "" } else { " AND status = 'confirmed'" };
        let sql = format!("SELECT {COLUMNS} FROM appointments WHERE conversation_id = $1{status} ORDER BY start_at");
        fetch_all(self.0.pool(), &sql, vec![Bind::Text(id.to_string())]).await
    }

    /// Customers who ever booked, the latest booked first: number, latest name, how many
    /// appointments, at most `limit`.
    pub async fn customers(&self, limit: i64) -> Result<Vec<(PhoneNumber, String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT customer_phone, MAX(customer_name) AS name, COUNT(*) AS n, MAX(created_at) AS latest \
             FROM appointments GROUP BY customer_phone ORDER BY latest DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.0.pool())
        .await?;
        rows.iter().map(customer).collect()
    }

    /// Customers by number, only those after `after`: keyset pagination that reads the
    /// `(customer_phone, start_at)` index in order and stops after `limit` customers.
    pub async fn customers_by_phone(
        &self,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<(PhoneNumber, String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT customer_phone, MAX(customer_name) AS name, COUNT(*) AS n FROM appointments \
             WHERE customer_phone > $1 GROUP BY customer_phone ORDER BY customer_phone LIMIT $2",
        )
        .bind(after.unwrap_or(""))
        .bind(limit)
        .fetch_all(self.0.pool())
        .await?;
        rows.iter().map(customer).collect()
    }

    /// Appointments matching `filter`, by start.
    pub async fn list(&self, filter: &AppointmentFilter) -> Result<Vec<Appointment>, StoreError> {
        let mut clauses = Vec::new();
        let mut binds = Vec::new();
        let mut next = |clause: &str, bind: Bind, clauses: &mut Vec<String>| {
            binds.push(bind);
            clauses.push(clause.replace('?', &format!("${}", binds.len())));
        };
        if let Some(phone) = &filter.phone {
            next("customer_phone = ?", Bind::Text(phone.to_string()), &mut clauses);
        }
        if let Some(from) = filter.from {
            next("end_at > ?", Bind::Int(from.timestamp()), &mut clauses);
        }
        if let Some(until) = filter.until {
            next("start_at < ?", Bind::Int(until.timestamp()), &mut clauses);
        }
        if let Some(staff) = &filter.staff {
            next("staff_id = ?", Bind::Text(staff.to_string()), &mut clauses);
        }
        if let Some((start, staff, id)) = &filter.after {
            let (a, b, c) = (binds.len() + 1, binds.len() + 2, binds.len() + 3);
            binds.extend([Bind::Int(start.timestamp()), Bind::Text(staff.to_string()), Bind::Text(id.to_string())]);
            clauses.push(format!("(start_at, staff_id, id) > (${a}, ${b}, ${c})"));
        }
        if !filter.include_cancelled {
            clauses.push("status = 'confirmed'".into());
        }
        let mut sql = format!("SELECT {COLUMNS} FROM appointments");
        if !clauses.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&clauses.join(" AND "));
        }
        sql.push_str(" ORDER BY start_at, staff_id, id");
        if let Some(limit) = filter.limit {
            sql.push_str(&format!(" LIMIT {}", limit.max(0)));
        }
        fetch_all(self.0.pool(), &sql, binds).await
    }
}
