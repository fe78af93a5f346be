demo:
	tools/setup.sh
	python3 -m kjupyter.demo

test:
	tools/test.sh

.PHONY: demo test
