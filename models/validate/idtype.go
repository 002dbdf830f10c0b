package validate

// IDTypeNames are the Chinese names of the ID types (证件类型) a certificate holder may have, by
// code (domain.IDTypes lists them in order).
var IDTypeNames = map[string]string{
	"resident_id": "居民身份证", "hk_macao_permit": "港澳居民来往内地通行证", "taiwan_permit": "台湾居民来往大陆通行证",
	"hmt_residence": "港澳台居民居住证", "foreign_permanent": "外国人永久居留身份证", "passport": "护照",
}

// IDTypeName answers an ID type's Chinese name; an empty type is a 居民身份证 (records made before
// the type was recorded were all resident ID numbers).
func IDTypeName(code string) string {
	if code == "" {
		code = "resident_id"
	}
	return IDTypeNames[code]
}
