// The flow runner: plays a scenario flow against a running mock.
