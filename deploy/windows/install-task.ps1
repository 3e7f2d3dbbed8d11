<#
.SYNOPSIS
Registers a Task Scheduler task that runs the KPU helpdesk (deploy\windows\helpdesk.cmd) and restarts it
when it fails.

.DESCRIPTION
By default the task starts when the current user logs on (set that account to log on automatically on a
PC that is also the kiosk or the TV). With -AtStartup it starts when Windows starts, before anyone logs
on, as the SYSTEM account: run this script as Administrator then.

The task runs helpdesk.cmd /restart in the checkout folder (C:\kpu-helpdesk by default), which reads the
settings from helpdesk.env there, migrates the database, serves on port 5000, and starts the server again
10 seconds after it fails. Task Scheduler also restarts the task if it fails to start, and lets it run
for as long as it likes (the default limit is 3 days).

.EXAMPLE
powershell -ExecutionPolicy Bypass -File C:\kpu-helpdesk\deploy\windows\install-task.ps1

.EXAMPLE
powershell -ExecutionPolicy Bypass -File C:\kpu-helpdesk\deploy\windows\install-task.ps1 -AtStartup -OpenFirewall

.EXAMPLE
Unregister-ScheduledTask -TaskName "KPU Helpdesk" -Confirm:$false
#>
[CmdletBinding()]
param(
    # The helpdesk checkout: holds .venv, instance and helpdesk.env.
    [string]$InstallDir = (Resolve-Path (Join-Path $PSScriptRoot "..\..")).Path,
    [string]$TaskName = "KPU Helpdesk",
    # Start when Windows starts, as SYSTEM, instead of when the current user logs on.
    [switch]$AtStartup,
    # Let other computers on the private network reach port 5000 (needs Administrator).
    [switch]$OpenFirewall
)

$ErrorActionPreference = "Stop"

$launcher = Join-Path $InstallDir "deploy\windows\helpdesk.cmd"
$helpdesk = Join-Path $InstallDir ".venv\Scripts\helpdesk.exe"
$settings = Join-Path $InstallDir "helpdesk.env"
foreach ($required in @($launcher, $helpdesk)) {
    if (-not (Test-Path $required)) {
        throw "$required is missing: install the helpdesk first (docs\operations.md, Windows)."
    }
}
if (-not (Test-Path $settings)) {
    Copy-Item (Join-Path $InstallDir "deploy\helpdesk.env.example") $settings
    Write-Warning "Created $settings from the example: set HELPDESK_PUBLIC_URL and HELPDESK_PRINTER in it."
}

$action = New-ScheduledTaskAction -Execute "$env:SystemRoot\System32\cmd.exe" `
    -Argument "/d /c `"`"$launcher`" /restart`"" -WorkingDirectory $InstallDir
if ($AtStartup) {
    $trigger = New-ScheduledTaskTrigger -AtStartup
    $principal = New-ScheduledTaskPrincipal -UserId "SYSTEM" -LogonType ServiceAccount -RunLevel Highest
} else {
    $user = "$env:USERDOMAIN\$env:USERNAME"
    $trigger = New-ScheduledTaskTrigger -AtLogOn -User $user
    $principal = New-ScheduledTaskPrincipal -UserId $user -LogonType Interactive -RunLevel Limited
}
$options = New-ScheduledTaskSettingsSet -ExecutionTimeLimit ([TimeSpan]::Zero) `
    -RestartCount 999 -RestartInterval (New-TimeSpan -Minutes 1) `
    -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries -StartWhenAvailable -MultipleInstances IgnoreNew

Register-ScheduledTask -TaskName $TaskName -Action $action -Trigger $trigger -Principal $principal `
    -Settings $options -Description "KPU helpdesk: kiosk, dashboard and TV on port 5000" -Force | Out-Null
Write-Host "Registered the task '$TaskName'. Start it now with: Start-ScheduledTask -TaskName '$TaskName'"

if ($OpenFirewall) {
    New-NetFirewallRule -DisplayName "KPU Helpdesk (TCP 5000)" -Direction Inbound -Protocol TCP `
        -LocalPort 5000 -Action Allow -Profile Private, Domain | Out-Null
    Write-Host "Opened TCP port 5000 for the private and domain networks."
}
