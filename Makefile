demo:
	tools/setup.sh
	$${PYTHON:-python3} -m kjupyter.demo

test:
	tools/test.sh

.PHONY: demo test
