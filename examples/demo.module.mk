# make demo: the basic example on the embedded broker. It arrives with the RPC runtime.
demo: all
	@echo "make demo: the demo (bkpr-broker + the basic example) arrives with the RPC runtime."
	@echo "Today: 'make check' runs the STOMP codec and connection tests against a private RabbitMQ."
