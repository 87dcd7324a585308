package installer

import (
	"fmt"
	"strings"
)

// eventTexts are the texts of MsiInstaller's event messages in one display
// language. Only the text changes with the language: an event's data (its
// insertion strings: product name, version, language, status,
// manufacturer) stays the same, which is what msilab reads
// (docs/evidence.md#E-localized-events).
type eventTexts struct {
	product string            // "Product: %s -- %s"
	status  map[uint32]string // 1033, 1034, 1035: name, version, language, manufacturer, status
	begin   string            // 1040: target, client process id
	end     string            // 1042
	restart string            // 1038: name, version, language, manufacturer
	// internal is 10005's text after the product: code, arguments.
	internal string
	// authored is an authored error's: number, text (the text as the
	// package's Error table or msi.dll's English table has it).
	authored string
	// phrases are the product messages of 1170x/1172x.
	phrases map[string]string
}

// English is the texts real hosts write in English (docs/evidence.md#E-events).
var englishTexts = eventTexts{
	product: "Product: %s -- %s",
	status: map[uint32]string{
		EventInstalled:    "Windows Installer installed the product. Product Name: %s. Product Version: %s. Product Language: %s. Manufacturer: %s. Installation success or error status: %d.",
		EventRemoved:      "Windows Installer removed the product. Product Name: %s. Product Version: %s. Product Language: %s. Manufacturer: %s. Removal success or error status: %d.",
		EventReconfigured: "Windows Installer reconfigured the product. Product Name: %s. Product Version: %s. Product Language: %s. Manufacturer: %s. Reconfiguration success or error status: %d.",
	},
	begin:    "Beginning a Windows Installer transaction: %s. Client Process Id: %d.",
	end:      "Ending a Windows Installer transaction: %s. Client Process Id: %d.",
	restart:  "Windows Installer requires a system restart. Product Name: %s. Product Version: %s. Product Language: %s. Manufacturer: %s. Type of System Restart: 1. Reason for Restart: 1.",
	internal: "The installer has encountered an unexpected error installing this package. This may indicate a problem with this package. The error code is %d. The arguments are: %s",
	authored: "Error %d. %s",
}

// germanTexts are a de-DE host's (G: written for the simulator after the
// English ones, not quoted from a German Windows; what matters is that
// they share no words with the English texts msilab once matched).
var germanTexts = eventTexts{
	product: "Produkt: %s -- %s",
	status: map[uint32]string{
		EventInstalled:    "Windows Installer hat das Produkt installiert. Produktname: %s. Produktversion: %s. Produktsprache: %s. Hersteller: %s. Erfolg- bzw. Fehlerstatus der Installation: %d.",
		EventRemoved:      "Windows Installer hat das Produkt entfernt. Produktname: %s. Produktversion: %s. Produktsprache: %s. Hersteller: %s. Erfolg- bzw. Fehlerstatus der Entfernung: %d.",
		EventReconfigured: "Windows Installer hat das Produkt neu konfiguriert. Produktname: %s. Produktversion: %s. Produktsprache: %s. Hersteller: %s. Erfolg- bzw. Fehlerstatus der Neukonfiguration: %d.",
	},
	begin:    "Beginnen einer Windows Installer-Transaktion: %s. Clientprozess-ID: %d.",
	end:      "Beenden einer Windows Installer-Transaktion: %s. Clientprozess-ID: %d.",
	restart:  "Windows Installer erfordert einen Neustart des Systems. Produktname: %s. Produktversion: %s. Produktsprache: %s. Hersteller: %s. Neustarttyp: 1. Neustartgrund: 1.",
	internal: "Beim Installieren dieses Pakets ist ein unerwarteter Fehler aufgetreten. Möglicherweise liegt ein Problem mit dem Paket vor. Fehlercode: %d. Argumente: %s",
	authored: "Fehler %d. %s",
	phrases: map[string]string{
		"Installation completed successfully.":  "Die Installation wurde erfolgreich abgeschlossen.",
		"Installation failed.":                  "Installationsvorgang fehlgeschlagen.",
		"Removal completed successfully.":       "Die Entfernung wurde erfolgreich abgeschlossen.",
		"Removal failed.":                       "Entfernungsvorgang fehlgeschlagen.",
		"Configuration completed successfully.": "Die Konfiguration wurde erfolgreich abgeschlossen.",
		"Configuration failed.":                 "Konfigurationsvorgang fehlgeschlagen.",
	},
}

// textsFor is the event texts of a machine's locale (English unless de-DE).
func textsFor(locale string) *eventTexts {
	if locale == "de-DE" {
		return &germanTexts
	}
	return &englishTexts
}

// phrase is an English product message in the texts' language.
func (t *eventTexts) phrase(english string) string {
	if p, ok := t.phrases[english]; ok {
		return p
	}
	return english
}

// internalError is 10005's text for an internal error and its first three arguments.
func (t *eventTexts) internalError(msg Message, args []string) string {
	a := make([]string, 3)
	copy(a, args)
	return fmt.Sprintf(t.internal, int(msg), strings.Join(a, ", "))
}
