/*
 * vsock: AF_VSOCK definitions, from the kernel's header when the build
 * machine has it, otherwise the stable ABI values.
 */
#ifndef VSOCKPROXY_VSOCK_H
#define VSOCKPROXY_VSOCK_H

#include <sys/socket.h>

#ifdef HAVE_LINUX_VM_SOCKETS_H
#include <linux/vm_sockets.h>
#else
#include <stdint.h>
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#define VMADDR_CID_ANY ((unsigned int)-1)
#define VMADDR_PORT_ANY ((unsigned int)-1)
struct sockaddr_vm {
	sa_family_t svm_family;
	unsigned short svm_reserved1;
	unsigned int svm_port;
	unsigned int svm_cid;
	unsigned char svm_flags;
	unsigned char svm_zero[sizeof(struct sockaddr) -
	    sizeof(sa_family_t) - sizeof(unsigned short) -
	    sizeof(unsigned int) - sizeof(unsigned int) - 1];
};
#endif

#endif
