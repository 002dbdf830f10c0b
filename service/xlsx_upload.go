package service

import (
	"bytes"
	"io"

	"github.com/xuri/excelize/v2"

	"skillcert/models/validate"
)

// maxUploadedWorkbook is the largest XLSX an import reads (10 MB).
const maxUploadedWorkbook = 10 << 20

// badFile is the one error an import answers for a file it cannot use.
func badFile(msg string) *validate.FieldError {
	return &validate.FieldError{Field: "file", Code: "bad_file", Message: msg}
}

// readUploadedSheet reads the rows of an uploaded workbook's first sheet (an import's file);
// template names, in the messages, the file the user should use instead. A file it cannot read
// answers one error under "file"; the rows may be empty.
func readUploadedSheet(r io.Reader, template string) ([][]string, *validate.FieldError) {
	b, err := io.ReadAll(io.LimitReader(r, maxUploadedWorkbook+1))
	if err != nil {
		return nil, badFile("无法读取上传的文件，请重新上传。")
	}
	if len(b) > maxUploadedWorkbook {
		return nil, badFile("文件超过 10 MB，请分批导入。")
	}
	book, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		return nil, badFile("文件不是有效的 Excel（.xlsx）工作簿，请使用" + template + "。")
	}
	defer book.Close()
	sheets := book.GetSheetList()
	if len(sheets) == 0 {
		return nil, badFile("工作簿中没有工作表。")
	}
	rows, err := book.GetRows(sheets[0])
	if err != nil {
		return nil, badFile("无法读取第一个工作表，请使用" + template + "。")
	}
	return rows, nil
}
