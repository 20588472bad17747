//! Settings chosen by name (`reference`, `one-based`, `npy`, ...): each such enum lists its
//! names and parses and prints them, so that any front end (the command line, a Python binding)
//! offers the same spellings without the library knowing about flags.

/// A name that is not one of a setting's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?}: expected one of {}", .expected.join(", "))]
pub struct UnknownName {
    pub value: String,
    pub expected: &'static [&'static str],
}

/// Implements `NAMES`, `name()`, [`std::str::FromStr`] and [`std::fmt::Display`] for a
/// fieldless enum from its variants' names, in declaration order.
#[macro_export]
#[doc(hidden)]
macro_rules! named_values {
    ($ty:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value's name, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$($name),+];

            /// This value's name.
            pub fn name(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }
        }

        impl ::std::str::FromStr for $ty {
            type Err = $crate::names::UnknownName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($name => Ok($ty::$variant),)+
                    _ => Err($crate::names::UnknownName {
                        value: s.to_string(),
                        expected: Self::NAMES,
                    }),
                }
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use crate::assign::CollisionPolicy;
    use crate::voc::{CoordBase, DifficultPolicy};

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for n in CoordBase::NAMES {
            assert_eq!(n.parse::<CoordBase>().unwrap().to_string(), *n);
        }
        assert_eq!(
            "one-based".parse::<CoordBase>().unwrap(),
            CoordBase::OneBased
        );
        assert_eq!(
            "drop".parse::<DifficultPolicy>().unwrap(),
            DifficultPolicy::Drop
        );
        assert_eq!(CollisionPolicy::NAMES, ["reference", "optimal"]);
        let e = "Optimal".parse::<CollisionPolicy>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "\"Optimal\": expected one of reference, optimal"
        );
    }
}
