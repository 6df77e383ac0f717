//! Calendar months in UTC, for the monthly impersonation quota.

const MS_PER_DAY: i64 = 86_400_000;

/// The first millisecond of the UTC calendar month holding `now_ms`.
pub fn month_start_ms(now_ms: i64) -> i64 {
    let days = now_ms.div_euclid(MS_PER_DAY);
    let (year, month, _) = civil_from_days(days);
    days_from_civil(year, month, 1) * MS_PER_DAY
}

// Howard Hinnant's civil-calendar algorithms (public domain), proleptic Gregorian.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_start_is_the_first_of_the_month_at_midnight_utc() {
        // 2026-11-23T16:00:00Z -> 2026-11-01T00:00:00Z
        assert_eq!(month_start_ms(1_795_449_600_000), 1_793_491_200_000);
        // Exactly the start stays put; one ms before belongs to the previous month.
        assert_eq!(month_start_ms(1_793_491_200_000), 1_793_491_200_000);
        // 2026-10-01T00:00:00Z
        assert_eq!(month_start_ms(1_793_491_199_999), 1_790_812_800_000);
        // Leap day 2024-02-29T12:00Z -> 2024-02-01
        assert_eq!(month_start_ms(1_709_208_000_000), 1_706_745_600_000);
        assert_eq!(month_start_ms(0), 0);
    }
}
