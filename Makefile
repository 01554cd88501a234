# Each target does its own set-up; a second run reuses what is installed.
SHELL := /bin/bash
PY := .venv/bin/python
# PyFlink pins grpcio and pyarrow below what the Spark Connect client needs: its own venv.
FLINK_PY := .venv-flink/bin/python
UV_VERSION := 0.13.9
EVENTS ?= 200000
# Bytecode now, once: where PYTHONDONTWRITEBYTECODE is set (as on this machine), every process
# would otherwise compile what it imports again, 2 s for a Spark Connect client.
COMPILE := -m compileall -q -j 2

.PHONY: demo check test mutants setup postgres jars lint lock docs docs-serve bench bench-fraud bench-burst clean

demo: setup  ## generate sample data and run the whole batch analysis
	$(PY) runners/demo.py --events $(EVENTS)

# The mutation check needs neither Kafka nor PostgreSQL, and the suites leave a third of the
# CPU idle (waiting on the clusters they start and break): it runs beside them at the lowest
# priority, on that idle CPU, so the suites keep their own pace; its report follows theirs
# (docs/testing.md, "How long it takes").
check: setup postgres  ## what CI runs: the test suite and, beside it, the mutation check
	@mkdir -p build; echo "the mutation check runs beside the suites; its report follows them"
	@nice -n 19 $(PY) -m tests.mutants > build/mutants.log 2>&1 & mutants=$$!; \
	$(MAKE) --no-print-directory test; tests=$$?; \
	wait $$mutants; found=$$?; \
	echo "--- the mutation check (build/mutants.log) ---"; cat build/mutants.log; \
	exit $$(( tests != 0 ? tests : found ))

# --durations: the slowest tests in every run's log, where the 40-minute CI budget goes.
test: setup postgres  ## lint and run the test suite (tests/flink in the Flink environment)
	$(PY) -m pytest --durations=15
	$(FLINK_PY) -m pytest tests/flink --durations=15

# The documentation site (mkdocs.yml); the model catalog and the CLI page are generated.
docs: .venv/.installed  ## build the documentation site into build/site
	NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build --strict

docs-serve: .venv/.installed  ## serve the documentation on http://127.0.0.1:8000, rebuilt on edits
	NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs serve --dev-addr 127.0.0.1:8000

FLINK_LIB = .venv-flink/lib/python3.11/site-packages/pyflink/lib

mutants: setup  ## change each rule's thresholds and comparisons; list what no fast test catches
	$(PY) -m tests.mutants

# The warehouse tests start a PostgreSQL cluster of their own from Debian's server binaries.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	    echo "installing Debian's postgresql (the warehouse tests' server binaries)"; \
	    $$( [ "$$(id -u)" = 0 ] || echo sudo ) env DEBIAN_FRONTEND=noninteractive \
	        sh -c 'apt-get update -qq && apt-get install -y -qq postgresql >/dev/null'; }

setup: .venv/.installed .venv-flink/.installed build/jars/.fetched $(FLINK_LIB)/.lib-jars build/.spark-classes

# Spark starts about 5 s faster with its start-up classes archived (JDK AppCDS); optional.
build/.spark-classes: .venv/.installed build/jars/.fetched
	$(PY) runners/engines/spark_class_archive.py > build/spark-classes.log 2>&1 \
	    || echo "no Spark class archive (see build/spark-classes.log): Spark starts without it"
	touch $@

# sql-client.sh needs the flink-sql-gateway jar, which the apache-flink wheel lacks; ONNX Runtime
# goes on Flink's own class path (runners/jars/pom.xml says why).
$(FLINK_LIB)/.lib-jars: .venv-flink/.installed build/jars/.fetched
	cp build/jars/flink/flink-sql-gateway-*.jar build/jars/flink-lib/*.jar $(FLINK_LIB)/
	touch $@

.venv/.installed: requirements.lock
	test -x .venv/bin/python || python3 -m venv .venv
	.venv/bin/pip install -q --disable-pip-version-check uv==$(UV_VERSION)
	.venv/bin/uv pip install --quiet --python .venv/bin/python -r requirements.lock
	# Before the split, PyFlink lived here; it now lives in .venv-flink only.
	.venv/bin/uv pip uninstall --quiet --python .venv/bin/python apache-flink apache-flink-libraries apache-beam \
	    2>/dev/null || true
	rm -rf .venv/lib/python3.11/site-packages/pyflink  # its logs and the gateway jar we copied
	# The checkout on the venv's path, so Airflow's task processes import runners and udfs.
	echo "$(CURDIR)" > .venv/lib/python3.11/site-packages/sqlplatform.pth
	$(PY) $(COMPILE) .venv/lib/python3.11/site-packages
	touch $@

.venv-flink/.installed: requirements-flink.lock .venv/.installed
	test -x $(FLINK_PY) || python3 -m venv .venv-flink
	.venv/bin/uv pip install --quiet --python $(FLINK_PY) -r requirements-flink.lock
	echo "$(CURDIR)" > .venv-flink/lib/python3.11/site-packages/sqlplatform.pth
	$(FLINK_PY) $(COMPILE) .venv-flink/lib/python3.11/site-packages
	touch $@

jars build/jars/.fetched: runners/jars/pom.xml  ## fetch the pinned JVM jars, one folder per classpath
	rm -rf build/jars
	for classpath in spark flink flink-lib kafka; do \
	    mvn -q -B -f runners/jars/pom.xml -P $$classpath dependency:copy-dependencies \
	        -DincludeScope=runtime -DoutputDirectory=$(CURDIR)/build/jars/$$classpath || exit 1; \
	done
	touch build/jars/.fetched

lint: setup
	.venv/bin/ruff check runners udfs dags tests benchmarks
	.venv/bin/sqlfluff lint sql benchmarks/flink
	.venv/bin/sqlfluff lint --templater jinja --disregard-sqlfluffignores sql/airflow

lock:  ## re-resolve pyproject.toml's dependencies into the two locks
	.venv/bin/uv pip compile pyproject.toml --group dev --python-version 3.11 -o requirements.lock
	.venv/bin/uv pip compile --group pyproject.toml:flink --python-version 3.11 -o requirements-flink.lock

bench: setup  ## the batch benchmark at 1M and 10M events
	$(PY) benchmarks/batch_benchmark.py --events 1000000 10000000

bench-fraud: setup  ## the fraud job against the seed's Java job, 1.1M transactions
	$(FLINK_PY) benchmarks/fraud_benchmark.py --events 1100000 --kafka --latency-rate 2000

bench-burst: setup  ## the platform fraud job through a 10x burst: peak lag, catch-up time
	$(FLINK_PY) benchmarks/fraud_burst.py --rate 2000 --repeat 3

clean:
	rm -rf data
