//! French public holidays ("jours fériés") for any year: the eleven of
//! metropolitan France, Easter Monday, Ascension and Whit Monday included.
//! (Alsace-Moselle adds Good Friday and 26 December: not handled; a site
//! there closes with a closure.)

use chrono::{Datelike, Days, NaiveDate};

/// Easter Sunday (Gregorian), by the anonymous algorithm (Meeus/Jones/Butcher).
pub fn easter(year: i32) -> Option<NaiveDate> {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

/// The public holidays of `year`, in date order, with their French names.
pub fn holidays(year: i32) -> Vec<(NaiveDate, &'static str)> {
    let fixed = [
        (1, 1, "Jour de l'an"),
        (5, 1, "Fête du Travail"),
        (5, 8, "Victoire 1945"),
        (7, 14, "Fête nationale"),
        (8, 15, "Assomption"),
        (11, 1, "Toussaint"),
        (11, 11, "Armistice 1918"),
        (12, 25, "Noël"),
    ];
    let mut days: Vec<(NaiveDate, &'static str)> = fixed
        .iter()
        .filter_map(|&(m, d, name)| NaiveDate::from_ymd_opt(year, m, d).map(|date| (date, name)))
        .collect();
    if let Some(e) = easter(year) {
        for (offset, name) in [
            (1, "Lundi de Pâques"),
            (39, "Ascension"),
            (50, "Lundi de Pentecôte"),
        ] {
            if let Some(date) = e.checked_add_days(Days::new(offset)) {
                days.push((date, name));
            }
        }
    }
    days.sort();
    days
}

/// The holiday on `date`, if it is one.
pub fn holiday(date: NaiveDate) -> Option<&'static str> {
    holidays(date.year())
        .into_iter()
        .find(|(d, _)| *d == date)
        .map(|(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    #[test]
    fn easter_falls_on_the_known_sundays() {
        for (y, m, d) in [
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2038, 4, 25),
            (2000, 4, 23),
        ] {
            assert_eq!(easter(y), Some(date(y, m, d)), "{y}");
        }
    }

    #[test]
    fn the_moving_holidays_of_2026_and_2027_are_right() {
        assert_eq!(holiday(date(2026, 4, 6)), Some("Lundi de Pâques"));
        assert_eq!(holiday(date(2026, 5, 14)), Some("Ascension"));
        assert_eq!(holiday(date(2026, 5, 25)), Some("Lundi de Pentecôte"));
        assert_eq!(holiday(date(2027, 3, 29)), Some("Lundi de Pâques"));
        assert_eq!(holiday(date(2027, 5, 6)), Some("Ascension"));
        assert_eq!(holiday(date(2027, 5, 17)), Some("Lundi de Pentecôte"));
        assert_eq!(holiday(date(2026, 12, 25)), Some("Noël"));
        assert_eq!(holiday(date(2026, 12, 24)), None);
        assert_eq!(holidays(2026).len(), 11);
    }
}
