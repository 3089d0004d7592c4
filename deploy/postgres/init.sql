-- The application's read model lives beside Temporal's own databases.
CREATE DATABASE progreg;
