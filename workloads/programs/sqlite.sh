#!/bin/sh
# sqlite.sh setup|run SCALE - sqlite3 builds a database of SCALE x 30,000 generated rows, with
# an index, queries it, vacuums it and checks its integrity (workloads/program.c).
# kmbench-cost: 0.12 (seconds of one run at scale 1 under glibc on the 2-core dev VM, quiet:
# `kmbench plan`'s estimate, docs/workloads.md)
set -eu
rows=$((30000 * ${2:-1}))
if [ "$1" = setup ]; then
	cat > q.sql <<SQL
create table t(a integer primary key, b text, c real);
with recursive n(i) as (select 1 union all select i + 1 from n where i < $rows)
  insert into t select i, printf('%08x-%d', (i * 2654435761) % 4294967296, i), i * 0.25 from n;
create index tb on t(b);
select count(*), sum(c), max(length(b)) from t;
select b from t where a % 997 = 0 order by b;
select substr(b, 1, 2) k, count(*) from t group by k order by k limit 20;
vacuum;
select count(*) from t where b like '1%';
SQL
	exit 0
fi
rm -f db
sqlite3 db < q.sql
sqlite3 db 'pragma integrity_check'
