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

// encodeScratch is a worker's buffers for encode, reused scenario after
// scenario: the records' heads and the scenario's parameters, each with its
// encoder (an Encoder writes json.Marshal's bytes and a newline).
type encodeScratch struct {
	head, params       bytes.Buffer
	headEnc, paramsEnc *json.Encoder
}

// encode writes b's records, whose Params are all s, into buf and makes
// b.JSON of it, with es's buffers. s is a pointer so that it is not copied
// to the heap to be encoded (a Scenario encodes the same by value).
func (e *encoder) encode(b *Batch, s *models.Scenario, buf *bytes.Buffer, es *encodeScratch) {
	buf.Reset()
	if len(b.Records) > 0 {
		if es.headEnc == nil {
			es.headEnc, es.paramsEnc = json.NewEncoder(&es.head), json.NewEncoder(&es.params)
		}
		es.params.Reset()
		if err := es.paramsEnc.Encode(s); err != nil {
			panic("sweep: a scenario does not encode: " + err.Error()) // a Scenario always marshals
		}
		params := es.params.Bytes()
		params = params[:len(params)-1] // less "\n"
		head, enc := &es.head, es.headEnc
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
