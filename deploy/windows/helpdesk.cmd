@echo off
rem The KPU helpdesk on Windows: reads the settings, migrates the database and serves on port 5000.
rem
rem Run it from a console (stop with Ctrl-C), double-click it, or let install-task.ps1 start it at log-on.
rem It expects the helpdesk checkout two folders up (C:\kpu-helpdesk\deploy\windows\helpdesk.cmd), with
rem its virtual environment in .venv, and reads the settings from C:\kpu-helpdesk\helpdesk.env
rem (lines HELPDESK_...=value, as in deploy\helpdesk.env.example) when that file exists.
rem   helpdesk.cmd             serve until stopped
rem   helpdesk.cmd /restart    start the server again 10 seconds after it fails (the scheduled task does)
rem   helpdesk.cmd ARGS...     run `helpdesk ARGS...` with the same settings: seed, printer test, officer add
setlocal EnableExtensions DisableDelayedExpansion

pushd "%~dp0..\.." || exit /b 1
set "HD_HOME=%CD%"
set "HD_EXE=%HD_HOME%\.venv\Scripts\helpdesk.exe"

rem Settings may also be written here; helpdesk.env, read next, overrides them. Examples:
rem set "HELPDESK_PUBLIC_URL=http://192.168.1.10:5000"
rem set "HELPDESK_PRINTER=win32://EPSON TM-T20II Receipt"
rem set "HELPDESK_OFFICE_NAME=KPU Kota Kupang"

rem Only lines starting with HELPDESK_ are read (comments are not); quotes around a value are removed.
if not exist "%HD_HOME%\helpdesk.env" goto settings_read
for /f "usebackq tokens=1,* delims==" %%A in (`findstr /b /c:"HELPDESK_" "%HD_HOME%\helpdesk.env"`) do set "%%A=%%~B"
:settings_read

if exist "%HD_EXE%" goto command
echo helpdesk.cmd: "%HD_EXE%" is missing: create the virtual environment first, see docs\operations.md
set "CODE=1"
goto end

:command
if "%~1"=="" goto start
if /i "%~1"=="/restart" goto start
"%HD_EXE%" %*
set "CODE=%ERRORLEVEL%"
goto end

:start
"%HD_EXE%" db upgrade
if errorlevel 1 goto failed
"%HD_EXE%" serve --host 0.0.0.0 --port 5000
if not errorlevel 1 goto stopped

:failed
set "CODE=%ERRORLEVEL%"
if /i not "%~1"=="/restart" goto end
echo helpdesk.cmd: the helpdesk stopped with an error; starting it again in 10 seconds.
rem ping waits where timeout cannot: a scheduled task has no console input.
ping -n 11 127.0.0.1 >nul
goto start

:stopped
set "CODE=0"

:end
popd
exit /b %CODE%
