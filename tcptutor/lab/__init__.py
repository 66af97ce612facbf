"""The real Linux stack next to the simulator: the TUN harness (tun.py), the comparison of a
kernel run with a simulation (compare.py), and `tcptutor lab` (session.py).

Unlike tcptutor.tcp this package does I/O: namespaces, devices, sockets, real time. Linux and
root only; everything it starts is removed when it ends, interrupted or not.
"""
