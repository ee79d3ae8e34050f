//! The thirteen administrative regions (Περιφέρειες) of Greece. Regional
//! oversight aggregates by these, so a tenant names exactly one.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Region {
    EasternMacedoniaThrace,
    CentralMacedonia,
    WesternMacedonia,
    Epirus,
    Thessaly,
    IonianIslands,
    WesternGreece,
    CentralGreece,
    Attica,
    Peloponnese,
    NorthAegean,
    SouthAegean,
    Crete,
}

impl Region {
    pub const ALL: [Region; 13] = [
        Region::EasternMacedoniaThrace,
        Region::CentralMacedonia,
        Region::WesternMacedonia,
        Region::Epirus,
        Region::Thessaly,
        Region::IonianIslands,
        Region::WesternGreece,
        Region::CentralGreece,
        Region::Attica,
        Region::Peloponnese,
        Region::NorthAegean,
        Region::SouthAegean,
        Region::Crete,
    ];

    /// The stable code used in manifests, the database and the API.
    pub fn code(self) -> &'static str {
        match self {
            Region::EasternMacedoniaThrace => "eastern_macedonia_thrace",
            Region::CentralMacedonia => "central_macedonia",
            Region::WesternMacedonia => "western_macedonia",
            Region::Epirus => "epirus",
            Region::Thessaly => "thessaly",
            Region::IonianIslands => "ionian_islands",
            Region::WesternGreece => "western_greece",
            Region::CentralGreece => "central_greece",
            Region::Attica => "attica",
            Region::Peloponnese => "peloponnese",
            Region::NorthAegean => "north_aegean",
            Region::SouthAegean => "south_aegean",
            Region::Crete => "crete",
        }
    }

    /// Residents at the 2021 census (ELSTAT, Απογραφή Πληθυσμού-Κατοικιών
    /// 2021, μόνιμος πληθυσμός ανά Περιφέρεια): what oversight divides by
    /// to compare regions per 10,000 residents.
    pub fn residents_2021(self) -> u64 {
        match self {
            Region::EasternMacedoniaThrace => 562_201,
            Region::CentralMacedonia => 1_795_669,
            Region::WesternMacedonia => 254_595,
            Region::Epirus => 319_543,
            Region::Thessaly => 688_255,
            Region::IonianIslands => 204_532,
            Region::WesternGreece => 648_220,
            Region::CentralGreece => 508_254,
            Region::Attica => 3_814_064,
            Region::Peloponnese => 539_535,
            Region::NorthAegean => 194_943,
            Region::SouthAegean => 327_820,
            Region::Crete => 624_408,
        }
    }

    /// The name staff and overseers read.
    pub fn name_el(self) -> &'static str {
        match self {
            Region::EasternMacedoniaThrace => "Ανατολική Μακεδονία και Θράκη",
            Region::CentralMacedonia => "Κεντρική Μακεδονία",
            Region::WesternMacedonia => "Δυτική Μακεδονία",
            Region::Epirus => "Ήπειρος",
            Region::Thessaly => "Θεσσαλία",
            Region::IonianIslands => "Ιόνια Νησιά",
            Region::WesternGreece => "Δυτική Ελλάδα",
            Region::CentralGreece => "Στερεά Ελλάδα",
            Region::Attica => "Αττική",
            Region::Peloponnese => "Πελοπόννησος",
            Region::NorthAegean => "Βόρειο Αιγαίο",
            Region::SouthAegean => "Νότιο Αιγαίο",
            Region::Crete => "Κρήτη",
        }
    }

    pub fn allowed_codes() -> String {
        Region::ALL
            .iter()
            .map(|r| r.code())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a Greek region; expected one of: {allowed}", allowed = Region::allowed_codes())]
pub struct UnknownRegion(pub String);

impl FromStr for Region {
    type Err = UnknownRegion;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Region::ALL
            .into_iter()
            .find(|r| r.code() == s)
            .ok_or_else(|| UnknownRegion(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_region_round_trips_through_its_code() {
        for region in Region::ALL {
            assert_eq!(region.code().parse::<Region>(), Ok(region));
        }
    }

    #[test]
    fn unknown_region_lists_the_allowed_codes() {
        let err = "attiki".parse::<Region>().unwrap_err();
        let message = err.to_string();
        assert!(message.contains("\"attiki\""), "{message}");
        assert!(message.contains("attica"), "{message}");
        assert!(message.contains("crete"), "{message}");
    }
}
