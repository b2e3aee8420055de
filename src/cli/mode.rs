//! `--mode` and `--modes`: an attention mode by its name, the help listing every mode with its
//! words.

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use linseg::attention::AttentionMode;

/// Parses a mode's name; the help lists each mode with [`AttentionMode::words`].
pub fn parser() -> impl TypedValueParser<Value = AttentionMode> {
    let names = AttentionMode::ALL.map(|mode| PossibleValue::new(mode.name()).help(mode.words()));
    PossibleValuesParser::new(names).map(|name| {
        name.parse()
            .expect("the parser accepts the modes' names only")
    })
}
