//! demo

