/*
 * migrations.h: the store's schema migrations, embedded at build time from
 * gateway/migrations/NNN_name.sql (see tests/embed-migrations.sh). Applied in
 * order by store_open(): each one the database has not had (table
 * schema_migrations), so a number below the highest applied is still
 * applied; PRAGMA user_version keeps the highest.
 */
#ifndef MIGRATIONS_H
#define MIGRATIONS_H
#include <stddef.h>

struct migration {
	int		 version;
	const char	*name;
	const char	*sql;
};

extern const struct migration	migrations[];
extern const size_t		migrations_count;

#endif
