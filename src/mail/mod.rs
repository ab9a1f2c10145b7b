pub mod patatt;
