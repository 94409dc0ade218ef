//! The pages in a real browser (headless Chromium over WebDriver): every
//! role's pages, their accessibility, and their bad input.

mod pages;
