/*
 * A stand-in for Windows' bcryptprimitives.dll, used only by the CI stage
 * that runs the Windows build under Wine (make test-windows).
 *
 * Go >= 1.24 gets its random numbers from ProcessPrng in
 * bcryptprimitives.dll and exits at start when it is missing; Wine 8.0
 * (Debian 12) has no such DLL. This one implements ProcessPrng with
 * RtlGenRandom (advapi32's SystemFunction036), which Wine has.
 *
 * BOOL WINAPI ProcessPrng(PBYTE pbData, SIZE_T cbData): always TRUE on
 * Windows; here FALSE if RtlGenRandom fails, which Go treats as fatal.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size)
{
	while (size > 0) {
		ULONG n = size > 0x40000000 ? 0x40000000 : (ULONG)size;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		size -= n;
	}
	return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
	(void)instance;
	(void)reason;
	(void)reserved;
	return TRUE;
}
