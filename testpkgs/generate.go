package testpkgs

//go:generate sh build.sh
