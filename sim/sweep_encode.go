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
	provenance []byte
	drop       bool // drop the records once encoded
}

func newEncoder(prov models.Provenance, drop bool) *encoder {
	p, err := json.Marshal(prov)
	if err != nil {
		panic("sweep: the provenance does not encode: " + err.Error()) // a Provenance always marshals
	}
	return &encoder{provenance: p, drop: drop}
}

// recordHead is a record less its last two fields, params and provenance:
// the outer fields hide the embedded record's of the same name and, being
// nil, are left out. The encoder appends the two, already encoded, where the
// record has them, last (TestSweepWorkersSameRecords compares the bytes
// with RecordWriter's).
type recordHead struct {
	*models.Record
	Params     *struct{} `json:"params,omitempty"`
	Provenance *struct{} `json:"provenance,omitempty"`
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
		var head bytes.Buffer
		enc := json.NewEncoder(&head)
		for i := range b.Records {
			r := &b.Records[i]
			if r.Schema == 0 {
				r.Schema = models.RecordSchema
			}
			head.Reset()
			if err := enc.Encode(recordHead{Record: r}); err != nil {
				panic("sweep: a record does not encode: " + err.Error())
			}
			h := head.Bytes()
			buf.Write(h[:len(h)-2]) // less "}\n"
			buf.WriteString(`,"params":`)
			buf.Write(params)
			buf.WriteString(`,"provenance":`)
			buf.Write(e.provenance)
			buf.WriteString("}\n")
		}
	}
	b.JSON = buf.Bytes()
	if e.drop {
		b.Records = nil
	}
}
