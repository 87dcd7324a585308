# Turns automatic logon off and removes the stored password. The answer
# file logs the administrator on automatically once (AutoLogon, LogonCount
# 1) to run its first-logon commands; with LogonCount 1 Windows logs on
# automatically twice (the LogonCount behaviour Microsoft documents), and
# leaves AutoAdminLogon on and the password stored, so every clone of the
# image would log its administrator on at boot. This runs among the
# first-logon commands, before WinRM is enabled; the msilab provisioner
# checks the result (HKLM\SOFTWARE\Microsoft\Windows NT\
# CurrentVersion\Winlogon: AutoAdminLogon 0, AutoLogonCount 0, no
# DefaultPassword) and fails the build otherwise.
# Automatic logon settings: https://learn.microsoft.com/troubleshoot/windows-server/user-profiles-and-logon/turn-on-automatic-logon
$ErrorActionPreference = 'Stop'
$log = Join-Path $env:SystemRoot 'Temp\msilab-first-logon.log'

$winlogon = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon'
New-ItemProperty -Path $winlogon -Name AutoAdminLogon -PropertyType String -Value '0' -Force | Out-Null
New-ItemProperty -Path $winlogon -Name AutoLogonCount -PropertyType DWord -Value 0 -Force | Out-Null
if ($null -ne (Get-ItemProperty -Path $winlogon -Name DefaultPassword -ErrorAction SilentlyContinue)) {
    Remove-ItemProperty -Path $winlogon -Name DefaultPassword
}

# Winlogon also reads the password from the LSA secret DefaultPassword,
# where Setup may keep it: LsaStorePrivateData with no data deletes a
# secret. https://learn.microsoft.com/windows/win32/api/ntsecapi/nf-ntsecapi-lsastoreprivatedata
Add-Type -TypeDefinition @'
using System;
using System.Runtime.InteropServices;

public static class MsiLabLsaSecret {
    [StructLayout(LayoutKind.Sequential)]
    private struct LsaUnicodeString {
        public ushort Length;
        public ushort MaximumLength;
        public IntPtr Buffer;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct LsaObjectAttributes {
        public int Length;
        public IntPtr RootDirectory;
        public IntPtr ObjectName;
        public uint Attributes;
        public IntPtr SecurityDescriptor;
        public IntPtr SecurityQualityOfService;
    }

    [DllImport("advapi32.dll")]
    private static extern uint LsaOpenPolicy(IntPtr systemName, ref LsaObjectAttributes attributes, uint access, out IntPtr policy);
    [DllImport("advapi32.dll")]
    private static extern uint LsaStorePrivateData(IntPtr policy, ref LsaUnicodeString keyName, IntPtr privateData);
    [DllImport("advapi32.dll")]
    private static extern uint LsaClose(IntPtr policy);
    [DllImport("advapi32.dll")]
    private static extern int LsaNtStatusToWinError(uint status);

    private const uint PolicyCreateSecret = 0x20;

    // Delete removes the secret and returns the Win32 error: 0, or 2 when
    // there was none.
    public static int Delete(string name) {
        LsaObjectAttributes attributes = new LsaObjectAttributes();
        attributes.Length = Marshal.SizeOf(attributes);
        IntPtr policy;
        uint status = LsaOpenPolicy(IntPtr.Zero, ref attributes, PolicyCreateSecret, out policy);
        if (status != 0) {
            return LsaNtStatusToWinError(status);
        }
        try {
            LsaUnicodeString key = new LsaUnicodeString();
            key.Buffer = Marshal.StringToHGlobalUni(name);
            key.Length = (ushort)(name.Length * 2);
            key.MaximumLength = (ushort)(key.Length + 2);
            try {
                return LsaNtStatusToWinError(LsaStorePrivateData(policy, ref key, IntPtr.Zero));
            } finally {
                Marshal.FreeHGlobal(key.Buffer);
            }
        } finally {
            LsaClose(policy);
        }
    }
}
'@
$code = [MsiLabLsaSecret]::Delete('DefaultPassword')
Add-Content -LiteralPath $log -Value ('{0:o} disable-autologon: AutoAdminLogon 0, AutoLogonCount 0, DefaultPassword removed; LSA secret DefaultPassword: Win32 {1} (0 deleted, 2 none)' -f (Get-Date), $code)
if ($code -ne 0 -and $code -ne 2) {
    throw ('disable-autologon: deleting the LSA secret DefaultPassword failed with Win32 error {0}' -f $code)
}
