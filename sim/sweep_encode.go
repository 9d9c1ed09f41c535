package sim

import (
	"bytes"
	"encoding/json"

	"github.com/migrlab/migrlab/models"
)

// encoder writes a scenario's records as JSON Lines, byte for byte what
// models.RecordWriter writes, at a third of the cost: the two large parts
// that the records of a scenario share, their parameters (the scenario) and
// their provenance, are encoded once per scenario and once per sweep.
type encoder struct {
	provenance json.RawMessage
	drop       bool // drop the records once encoded
}

func newEncoder(prov models.Provenance, drop bool) *encoder {
	p, err := json.Marshal(prov)
	if err != nil {
		panic("sweep: the provenance does not encode: " + err.Error()) // a Provenance always marshals
	}
	return &encoder{provenance: p, drop: drop}
}

// recordJSON is a record whose last two fields, params and provenance, are
// given already encoded: the outer fields hide the embedded record's of the
// same name and, being after it, are written last, where the record has
// them (TestSweepWorkersSameRecords compares with RecordWriter's bytes).
type recordJSON struct {
	*models.Record
	Params     json.RawMessage `json:"params"`
	Provenance json.RawMessage `json:"provenance"`
}

// encode writes b's records, whose Params are all s, into buf and makes
// b.JSON of it.
func (e *encoder) encode(b *Batch, s models.Scenario, buf *bytes.Buffer) {
	buf.Reset()
	if len(b.Records) > 0 {
		params, err := json.Marshal(s)
		if err != nil {
			panic("sweep: a scenario does not encode: " + err.Error()) // a Scenario always marshals
		}
		enc := json.NewEncoder(buf)
		for i := range b.Records {
			r := &b.Records[i]
			if r.Schema == 0 {
				r.Schema = models.RecordSchema
			}
			if err := enc.Encode(recordJSON{Record: r, Params: params, Provenance: e.provenance}); err != nil {
				panic("sweep: a record does not encode: " + err.Error())
			}
		}
	}
	b.JSON = buf.Bytes()
	if e.drop {
		b.Records = nil
	}
}
