@echo off
rem Shell completion for the plugin on Windows: kubectl and oc find this
rem through PATHEXT for `kubectl image-registry <TAB>`.
"%~dp0kubectl-image_registry.exe" __complete %*
